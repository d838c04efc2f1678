import type { Principal } from '../platform/auth/api-keys';
import type { Logger } from '../platform/logger';
import type { TraceContext } from '../platform/trace';

/** Hono's environment for every route: bindings from `wrangler types`, plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    trace: TraceContext;
    traceId: string;
    logger: Logger;
    /** Set by `requireAuth`; absent on public routes. */
    principal?: Principal;
    /** Route pattern (never the raw path) for metrics and logs; set after routing. */
    routePattern?: string;
    /** Set when the load shedder refused the request (its request line is logged below `warn`). */
    shed?: boolean;
  };
}

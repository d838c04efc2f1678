import type { Logger } from './lib/logger';
import type { TraceContext } from './lib/trace';
import type { Principal } from './services/api-keys';

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
  };
}

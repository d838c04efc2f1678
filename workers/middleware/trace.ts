import { createMiddleware } from 'hono/factory';
import { createLogger } from '../../platform/logger';
import { newTrace, parseTraceparent } from '../../platform/trace';
import type { AppEnv } from '../app-env';

/** Accepts W3C `traceparent` or starts a trace; every response carries `x-trace-id`. */
export function traceContext() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const incoming = parseTraceparent(c.req.header('traceparent'));
    const trace = incoming ? { ...incoming, spanId: newTrace().spanId } : newTrace();
    c.set('trace', trace);
    c.set('traceId', trace.traceId);
    c.set('logger', createLogger({ traceId: trace.traceId }));
    await next();
    c.header('x-trace-id', trace.traceId);
  });
}

import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import { ApiError, DependencyError } from '../../platform/errors';
import { writeRequestPoint } from '../../platform/metrics/analytics';
import { recordHttpRequest } from '../../platform/metrics/events';
import { flushSoon, installMetrics } from '../../platform/metrics/flush';
import { reportError } from '../../platform/sentry';
import type { AppEnv } from '../app-env';

/** The route label of requests no route handles: a fixed value, never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern the request was routed to (`/api/v1/bars/:symbol`), known before the
 * handlers run so error logs and metrics agree. Wildcard paths belong to middleware, so a
 * request matched only by them is `unmatched`; the label set is therefore bounded by the code.
 */
export function routePatternOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const path = routes[i]?.path;
    if (path && !path.includes('*')) return path;
  }
  return UNMATCHED_ROUTE;
}

/** Internal errors go to Sentry; expected degradations (503 from a failing dependency) do not. */
function isReportable(err: Error | undefined, status: number): err is Error {
  if (!err || status < 500) return false;
  // Outages (tagged dependency failures) show in the metrics and alerts; Sentry gets the bugs.
  if (err instanceof DependencyError) return false;
  return !(err instanceof ApiError) || err.code === 'internal';
}

function waitUntilOf(c: Context<AppEnv>): (p: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    // No execution context (app.request in a unit test): let the promise run unobserved.
    return (p) => void p.catch(() => {});
  }
}

/**
 * Per request: the route pattern, the HTTP metrics, one structured JSON log line, an Analytics
 * Engine data point (when bound), Sentry for internal errors, and a batched flush via waitUntil.
 * Mounted right after `traceContext()`, so it sees the final response including mapped errors.
 */
export function requestMetrics() {
  installMetrics();
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const route = routePatternOf(c);
    c.set('routePattern', route);
    await next();
    // Workers' clocks advance only across I/O, so this is wall time around I/O, not CPU time.
    const ms = performance.now() - started;
    const status = c.res.status;
    const method = c.req.method;
    const traceId = c.get('traceId');
    recordHttpRequest(method, route, status, ms);
    const fields = { method, route, status, durationMs: Math.round(ms * 100) / 100 };
    const logger = c.get('logger');
    // A shed request is the overload answering itself: an error line each would multiply the
    // overload's cost (thousands a second); the metrics count them (status 503) for the alerts.
    if (c.get('shed')) logger.info('request', { ...fields, shed: true });
    else if (status >= 500) logger.error('request', fields);
    else if (status >= 400) logger.warn('request', fields);
    else logger.info('request', fields);
    writeRequestPoint(c.env, { route, method, status, ms, traceId });
    const waitUntil = waitUntilOf(c);
    if (isReportable(c.error, status))
      reportError(c.env, { error: c.error, request: c.req.raw, traceId, route, waitUntil });
    flushSoon(c.env, waitUntil);
  });
}

import { HTTPException } from 'hono/http-exception';
import {
  ApiError,
  DependencyError,
  dependencyName,
  dependencyUnavailable,
  ERROR_STATUS,
  type ErrorCode,
  toErrorBody,
} from '../platform/errors';
import { createLogger } from '../platform/logger';
import { adminRoutes } from './admin/admin-routes';
import { flagsAdminRoutes } from './admin/flags-admin-routes';
import { backtestsRoutes } from './backtests/backtests-routes';
import { capacityRoutes } from './capacity/capacity-routes';
import { flagsRoutes } from './flags/flags-routes';
import { barsRoutes } from './market/bars-routes';
import { ingestRoutes, MAX_CSV_BYTES } from './market/ingest-routes';
import { quotesRoutes } from './market/quotes-routes';
import { symbolsRoutes } from './market/symbols-routes';
import { requireScope } from './middleware/auth';
import { authFailureLimit } from './middleware/auth-failures';
import { bodyLimit } from './middleware/body-limit';
import { cors } from './middleware/cors';
import { d1Session } from './middleware/d1-session';
import { jsonDepthLimit } from './middleware/json-depth';
import { loadShed } from './middleware/load-shed';
import { requestMetrics } from './middleware/metrics';
import { rateLimit } from './middleware/rate-limit';
import { securityHeaders } from './middleware/security-headers';
import { traceContext } from './middleware/trace';
import { health } from './ops/health-routes';
import { debugRoutes, metricsRoutes } from './ops/metrics-routes';
import { openapiRoutes } from './ops/openapi-routes';
import { predictionsRoutes } from './predictions/predictions-routes';
import { createRouter } from './router';
import { streamAdminRoutes, streamRoutes } from './streaming/stream-routes';

const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * The Hono app. Order matters: trace first (every response and error carries the trace id),
 * then headers and CORS, body limits, and per route group auth → rate limit → validation → handler.
 */
export function createApp() {
  const app = createRouter();

  app.use('*', traceContext());
  app.use('*', requestMetrics());
  app.use('*', securityHeaders());
  app.use('/api/*', cors());
  // Past capacity, answer 503 + Retry-After now instead of queueing (health and /metrics exempt).
  app.use('*', loadShed());
  const csvLimit = bodyLimit(MAX_CSV_BYTES);
  const defaultLimit = bodyLimit(DEFAULT_BODY_LIMIT);
  // CSV history imports may be larger than every other body.
  app.use('/api/*', (c, next) =>
    c.req.path === '/api/v1/ingest/bars' ? csvLimit(c, next) : defaultLimit(c, next),
  );

  // Before every route that authenticates (the stream and /metrics authenticate in their handlers):
  // an address that keeps failing authentication is answered 429 before any key lookup.
  app.use('*', authFailureLimit());

  app.route('/metrics', metricsRoutes);
  app.route('/api/health', health);
  app.route('/api', openapiRoutes(app));

  app.use('/api/v1/symbols/*', requireScope('read'), rateLimit());
  app.use('/api/v1/quotes/*', requireScope('read'), rateLimit());
  app.use('/api/v1/bars/*', requireScope('read'), rateLimit());
  app.use('/api/v1/ingest/*', requireScope('ingest'), rateLimit());
  app.use('/api/v1/admin/*', requireScope('admin'), rateLimit());
  app.use('/api/v1/predictions/*', requireScope('trade'), rateLimit());
  app.use('/api/v1/backtests/*', requireScope('trade'), rateLimit());
  app.use('/api/v1/capacity', requireScope('read'), rateLimit());
  // Read paths run in a D1 session (read replicas; `x-d1-bookmark` gives read-your-writes), after
  // auth so the key lookup stays on the primary. Not on WebSocket upgrades.
  for (const path of [
    '/api/v1/symbols/*',
    '/api/v1/bars/*',
    '/api/v1/ingest/bars',
    '/api/v1/predictions/*',
    '/api/v1/backtests/*',
  ])
    app.use(path, d1Session());
  // The stream itself authenticates inside its handler (header or single-use ticket).
  app.use('/api/v1/stream/ticket', requireScope('read'), rateLimit());
  app.use('/api/v1/flags', requireScope('read'), rateLimit());
  // After auth and rate limiting, before every validator: deep JSON must never reach a recursion.
  app.use('/api/*', jsonDepthLimit());

  app.route('/api/v1/symbols', symbolsRoutes);
  app.route('/api/v1/quotes', quotesRoutes);
  app.route('/api/v1/bars', barsRoutes);
  app.route('/api/v1/ingest', ingestRoutes);
  app.route('/api/v1/admin', adminRoutes);
  app.route('/api/v1/predictions', predictionsRoutes);
  app.route('/api/v1/backtests', backtestsRoutes);
  app.route('/api/v1/capacity', capacityRoutes);
  app.route('/api/v1/stream', streamRoutes);
  app.route('/api/v1/admin/rooms', streamAdminRoutes);
  app.route('/api/v1/admin/debug', debugRoutes);
  app.route('/api/v1/admin/flags', flagsAdminRoutes);
  app.route('/api/v1/flags', flagsRoutes);

  app.notFound((c) => {
    const traceId = c.get('traceId') ?? 'unknown';
    const err = new ApiError('not_found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
    return c.json(toErrorBody(err, traceId), 404, { 'x-trace-id': traceId });
  });

  app.onError((err, c) => {
    const traceId = c.get('traceId') ?? 'unknown';
    const apiError = asApiError(err);
    if (apiError.status >= 500) {
      (c.get('logger') ?? createLogger({ traceId })).error('request failed', {
        route: c.get('routePattern') ?? c.req.routePath,
        code: apiError.code,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    return c.json(toErrorBody(apiError, traceId), apiError.status, {
      ...apiError.headers,
      'x-trace-id': traceId,
    });
  });

  return app;
}

/**
 * The HTTP edge of the error boundary: domain errors keep their code, a tagged dependency failure
 * is a 503, anything else is a bug and becomes a generic 500 (details only in logs and Sentry).
 */
function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DependencyError) return dependencyUnavailable(dependencyName(err.dependency), err);
  if (err instanceof HTTPException) {
    if (err.status === 400) return new ApiError('invalid_json', 'Malformed request body.');
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((k) => ERROR_STATUS[k] === err.status);
    if (code && err.status < 500) return new ApiError(code, err.message || code);
    if (err.status < 500) return new ApiError('bad_request', err.message || 'Bad request.');
  }
  return new ApiError('internal', 'Internal error; it has been logged with this trace id.');
}

export type App = ReturnType<typeof createApp>;

import type { Context } from 'hono';
import { hasScope } from '../../platform/auth/api-keys';
import { authenticate } from '../../platform/auth/authenticate';
import { config } from '../../platform/config';
import { sha256Hex, timingSafeEqualStrings } from '../../platform/crypto';
import { faultInjectionAllowed } from '../../platform/d1/faults';
import { ApiError } from '../../platform/errors';
import { aggregator, flushNow } from '../../platform/metrics/flush';
import type { AppEnv } from '../app-env';
import { presentedKey } from '../middleware/auth';
import { createRouter } from '../router';

const unauthorized = () =>
  new ApiError('unauthorized', 'Send `Authorization: Bearer <METRICS_TOKEN>` or an admin API key.', {
    headers: { 'www-authenticate': 'Bearer realm="skippy-metrics"' },
  });

/**
 * Scrapes are allowed with the `METRICS_TOKEN` secret (compared in constant time over SHA-256
 * digests, so not even the length leaks) or with an admin API key. Without either: 401.
 */
async function requireMetricsAccess(c: Context<AppEnv>): Promise<void> {
  const presented = presentedKey(c.req.raw.headers);
  if (!presented) throw unauthorized();
  const token = config(c.env).METRICS_TOKEN;
  if (token && timingSafeEqualStrings(await sha256Hex(presented), await sha256Hex(token))) return;
  const principal = await authenticate(c.env, presented, (p) => c.executionCtx.waitUntil(p));
  if (!principal) throw unauthorized();
  if (!hasScope(principal, 'admin'))
    throw new ApiError('forbidden', 'Metrics need the `admin` scope or the metrics token.');
}

/** `GET /metrics`: the whole deployment's metrics in Prometheus text format 0.0.4. */
export const metricsRoutes = createRouter().get('/', async (c) => {
  await requireMetricsAccess(c);
  // This isolate's latest counts go first, so a scrape right after traffic includes it.
  await flushNow(c.env);
  const body = await aggregator(c.env).render();
  return c.body(body, 200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    'cache-control': 'no-store',
  });
});

/**
 * `GET /api/v1/admin/debug/error` (admin key, never in production): throws an unhandled error,
 * so an operator can check the 500 path end to end (error body, logs, Sentry).
 */
export const debugRoutes = createRouter().get('/error', (c) => {
  if (!faultInjectionAllowed(c.env))
    throw new ApiError('not_found', 'Debug routes are disabled in this environment.');
  throw new Error('Deliberate internal error (debug route)');
});

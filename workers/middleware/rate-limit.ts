import { createMiddleware } from 'hono/factory';
import { ApiError } from '../../platform/errors';
import {
  KEY_REQUEST_LIMITS as LIMITS,
  KEY_REQUEST_WINDOW_SECONDS as PERIOD_SECONDS,
} from '../../platform/rate-limits';
import type { AppEnv } from '../app-env';

/**
 * Per-key budget through the Workers rate-limit binding, after authentication. The binding
 * answers only allowed/denied, so `RateLimit-Remaining` is not known exactly: it is omitted
 * rather than invented; `RateLimit-Limit` and `RateLimit-Reset` follow the IETF draft.
 */
export function rateLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (!principal) return next();
    const limiter = principal.tier === 'high' ? c.env.RATE_LIMIT_HIGH : c.env.RATE_LIMIT_STANDARD;
    const limit = LIMITS[principal.tier];
    const { success } = await limiter.limit({ key: principal.keyId });
    const reset = PERIOD_SECONDS - (Math.floor(Date.now() / 1000) % PERIOD_SECONDS);
    const headers = {
      'ratelimit-limit': String(limit),
      'ratelimit-policy': `${limit};w=${PERIOD_SECONDS}`,
      'ratelimit-reset': String(reset),
    };
    if (!success) {
      throw new ApiError('rate_limited', 'Rate limit exceeded for this API key.', {
        headers: { ...headers, 'retry-after': String(reset), 'ratelimit-remaining': '0' },
        details: { limit, windowSeconds: PERIOD_SECONDS },
      });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  });
}

import type { RateLimitTier } from '../../platform/auth/api-keys';
import { config } from '../../platform/config';
import { ApiError } from '../../platform/errors';

/**
 * Per-key limits of the stream upgrade (docs/streaming.md, "Limits"), separate from the REST
 * request budget: a connect rate (the STREAM_CONNECT_* rate-limit bindings, per key) and a
 * number of sockets open at once across every gateway shard (STREAM_KEY_SOCKETS_*, counted by the
 * key's KeySockets object). Both refuse with 429 `rate_limited` and `Retry-After`, before the
 * upgrade.
 */

/** The STREAM_CONNECT_* bindings' window and limits (wrangler.toml); the bindings enforce, these document. */
export const CONNECT_WINDOW_SECONDS = 60;
export const CONNECTS_PER_WINDOW: Record<RateLimitTier, number> = { standard: 120, high: 10_000 };
/**
 * Retry-After for a key at its socket limit: a slot frees when one of its sockets closes, which
 * nothing predicts; a few seconds keeps a reconnect loop from hammering the upgrade.
 */
export const SOCKET_LIMIT_RETRY_AFTER_SECONDS = 10;

/** The key's concurrent-socket limit, from the configuration by tier. */
export function socketLimit(env: Env, tier: RateLimitTier): number {
  const cfg = config(env);
  return tier === 'high' ? cfg.STREAM_KEY_SOCKETS_HIGH : cfg.STREAM_KEY_SOCKETS_STANDARD;
}

/** Charges one connect to the key's connect budget; the refusal to send when it is spent, else null. */
export async function chargeConnect(
  env: Env,
  principal: { keyId: string; tier: RateLimitTier },
  now = Date.now(),
): Promise<ApiError | null> {
  const binding = principal.tier === 'high' ? env.STREAM_CONNECT_HIGH : env.STREAM_CONNECT_STANDARD;
  if ((await binding.limit({ key: principal.keyId })).success) return null;
  const limit = CONNECTS_PER_WINDOW[principal.tier];
  const retryAfter = CONNECT_WINDOW_SECONDS - (Math.floor(now / 1000) % CONNECT_WINDOW_SECONDS);
  return new ApiError(
    'rate_limited',
    `Too many stream connects for this API key (at most ${limit} a minute); retry after the Retry-After delay.`,
    {
      headers: {
        'retry-after': String(retryAfter),
        'ratelimit-limit': String(limit),
        'ratelimit-policy': `${limit};w=${CONNECT_WINDOW_SECONDS}`,
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(retryAfter),
      },
      details: { limit: 'connect_rate', max: limit, windowSeconds: CONNECT_WINDOW_SECONDS, retryAfter },
    },
  );
}

/** The refusal for a key that already holds `max` open sockets. */
export function tooManySockets(open: number, max: number): ApiError {
  return new ApiError(
    'rate_limited',
    `This API key already holds ${open} open stream sockets (at most ${max}); close one or retry later.`,
    {
      headers: { 'retry-after': String(SOCKET_LIMIT_RETRY_AFTER_SECONDS) },
      details: { limit: 'open_sockets', max, open, retryAfter: SOCKET_LIMIT_RETRY_AFTER_SECONDS },
    },
  );
}

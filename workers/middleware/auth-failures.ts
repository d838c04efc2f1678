import { createMiddleware } from 'hono/factory';
import { KEY_PATTERN } from '../../platform/auth/api-keys';
import { confirmedRecently } from '../../platform/auth/last-good-keys';
import { BoundedMap } from '../../platform/bounded-map';
import { sha256Hex } from '../../platform/crypto';
import { ApiError } from '../../platform/errors';
import { clientAddress } from '../../platform/http/client-address';
import type { AppEnv } from '../app-env';
import { presentedKey } from './auth';

/** The AUTH_FAILURES binding's window and limit (wrangler.toml); the binding enforces, these document. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
export const AUTH_FAILURE_LIMIT = 30;
/** Bound of the per-isolate list of blocked addresses; past it the oldest block is dropped. */
const BLOCKED_CAP = 10_000;

/** Address → end of its block (epoch ms), in this isolate. */
const blocked = new BoundedMap<string, number>(BLOCKED_CAP);

function blockedUntil(address: string, now: number): number | null {
  const until = blocked.get(address);
  if (until === undefined) return null;
  if (until > now) return until;
  blocked.delete(address);
  return null;
}

function block(address: string, now: number): number {
  const windowMs = AUTH_FAILURE_WINDOW_SECONDS * 1000;
  const until = (Math.floor(now / windowMs) + 1) * windowMs;
  blocked.set(address, until);
  return until;
}

function tooManyFailures(until: number, now: number): ApiError {
  const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
  return new ApiError('rate_limited', 'Too many failed authentications from this address; retry later.', {
    headers: { 'retry-after': String(retryAfter) },
    details: { limit: AUTH_FAILURE_LIMIT, windowSeconds: AUTH_FAILURE_WINDOW_SECONDS, retryAfter },
  });
}

/**
 * Rate-limits failed authentication per client address, so guessing keys costs no D1 lookups.
 *
 * Only failures are charged (a 401 to a request that presented a key, malformed keys included,
 * which never reach D1): valid keys never touch the budget or the binding, and the budget is the
 * address's, never the key's, so nobody can lock a key out from elsewhere. Once the binding
 * refuses an address, this isolate answers its keys 429 before any lookup until the window ends.
 * The binding cannot be asked without charging it, so another isolate learns of the block from the
 * first failure it sees there: at most one lookup per isolate and window. A key this isolate saw
 * D1 confirm within the fallback window still passes from a blocked address (a client behind the
 * same NAT as a guesser keeps working): it is not a guess, and it is checked against D1 as usual.
 */
export function authFailureLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = presentedKey(c.req.raw.headers);
    if (!key) return next();
    const address = clientAddress(c.req.raw.headers);
    const until = blockedUntil(address, Date.now());
    if (until !== null && !(KEY_PATTERN.test(key) && confirmedRecently(await sha256Hex(key))))
      throw tooManyFailures(until, Date.now());
    await next();
    if (c.res.status !== 401) return;
    let allowed = true;
    try {
      allowed = (await c.env.AUTH_FAILURES.limit({ key: address })).success;
    } catch {
      // The limiter protects D1, it does not decide authentication (that already failed): fail open.
    }
    if (!allowed) {
      const now = Date.now();
      throw tooManyFailures(block(address, now), now);
    }
  });
}

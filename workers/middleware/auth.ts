import { createMiddleware } from 'hono/factory';
import { hasScope, type Principal, type Scope, touchKey, verifyKey } from '../../platform/auth/api-keys';
import { hasRevocationTombstone } from '../../platform/auth/key-revocations';
import { forgetInIsolate, recallCopy, rememberConfirmed } from '../../platform/auth/last-good-keys';
import { sha256Hex } from '../../platform/crypto';
import { ApiError, isDependencyFailure } from '../../platform/errors';
import type { AppEnv } from '../app-env';

export function presentedKey(headers: Headers): string | null {
  const auth = headers.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    return m?.[1] ?? null;
  }
  return headers.get('x-api-key');
}

/**
 * Resolves a presented key: D1 is asked on every request, so a revoked key stops at once. Only
 * when D1 is failing does a last-known-good copy (≤ 10 minutes old) keep reads answering, and
 * only after the key's revocation tombstone was checked in KV (401 if present, 503 if KV cannot
 * say): a copy in this isolate's memory may predate a revocation made elsewhere
 * (platform/auth/key-revocations.ts explains why a tombstone and not only deletion).
 */
export async function authenticate(
  env: Env,
  key: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Principal | null> {
  const hash = await sha256Hex(key);
  try {
    const principal = await verifyKey(env, key);
    if (!principal) {
      forgetInIsolate(hash);
      return null;
    }
    const refresh = rememberConfirmed(env, hash, principal);
    if (refresh) waitUntil(Promise.all([refresh, touchKey(env, principal.keyId)]).catch(() => {}));
    return principal;
  } catch (err) {
    if (!isDependencyFailure(err)) throw err;
    // The tombstone decides before any copy is used (a rejected read fails the whole fallback: 503).
    const [revoked, copy] = await Promise.all([hasRevocationTombstone(env, hash), recallCopy(env, hash)]);
    if (revoked) {
      forgetInIsolate(hash);
      return null;
    }
    if (!copy)
      throw new ApiError('dependency_failed', 'Authentication is temporarily unavailable; retry shortly.');
    return copy;
  }
}

/** Requires a valid API key holding `scope` (admin implies every scope). */
export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    let principal = c.get('principal');
    if (!principal) {
      const key = presentedKey(c.req.raw.headers);
      if (!key) {
        throw new ApiError('unauthorized', 'An API key is required: send `Authorization: Bearer sk_…`.', {
          headers: { 'www-authenticate': 'Bearer realm="skippy"' },
        });
      }
      const found = await authenticate(c.env, key, (p) => c.executionCtx.waitUntil(p));
      if (!found) {
        throw new ApiError('unauthorized', 'The API key is invalid or revoked.', {
          headers: { 'www-authenticate': 'Bearer realm="skippy", error="invalid_token"' },
        });
      }
      principal = found;
      c.set('principal', principal);
    }
    if (!hasScope(principal, scope)) {
      throw new ApiError('forbidden', `This key lacks the \`${scope}\` scope.`, {
        details: { required: scope, granted: principal.scopes },
      });
    }
    await next();
  });
}

import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { ApiError } from '../errors';
import { sha256Hex } from '../lib/crypto';
import { type Principal, type Scope, touchKey, verifyKey } from '../services/api-keys';
import { kvKey } from '../services/cache';
import { isDependencyFailure } from '../services/d1';

/**
 * D1 is asked on every request so that a revoked key stops working at once. Only when D1 is
 * failing does a last-known-good copy (at most `FALLBACK_MAX_AGE_MS` old) keep reads answering.
 */
const FALLBACK_MAX_AGE_MS = 10 * 60_000;
const REFRESH_FALLBACK_MS = 60_000;
const lastGood = new Map<string, { principal: Principal; at: number }>();

export function presentedKey(headers: Headers): string | null {
  const auth = headers.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    return m?.[1] ?? null;
  }
  return headers.get('x-api-key');
}

export async function authenticate(
  env: Env,
  key: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Principal | null> {
  const hash = await sha256Hex(key);
  try {
    const principal = await verifyKey(env, key);
    if (!principal) {
      lastGood.delete(hash);
      return null;
    }
    const prev = lastGood.get(hash);
    const now = Date.now();
    if (!prev || now - prev.at > REFRESH_FALLBACK_MS) {
      lastGood.set(hash, { principal, at: now });
      waitUntil(
        Promise.all([
          env.CACHE.put(kvKey.apiKey(hash), JSON.stringify({ principal, at: now }), { expirationTtl: 600 }),
          touchKey(env, principal.keyId),
        ]).catch(() => {}),
      );
    }
    return principal;
  } catch (err) {
    if (!isDependencyFailure(err)) throw err;
    const now = Date.now();
    const mem = lastGood.get(hash);
    if (mem && now - mem.at < FALLBACK_MAX_AGE_MS) return mem.principal;
    const kv = await env.CACHE.get<{ principal: Principal; at: number }>(kvKey.apiKey(hash), 'json').catch(
      () => null,
    );
    if (kv && now - kv.at < FALLBACK_MAX_AGE_MS) return kv.principal;
    throw new ApiError('dependency_failed', 'Authentication is temporarily unavailable; retry shortly.');
  }
}

/** Forgets the fallback copy of a revoked key in this isolate and in KV. */
export async function forgetKeyHash(env: Env, hash: string): Promise<void> {
  lastGood.delete(hash);
  await env.CACHE.delete(kvKey.apiKey(hash));
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

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes(scope) || p.scopes.includes('admin');
}

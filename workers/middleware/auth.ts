import { createMiddleware } from 'hono/factory';
import { hasScope, type Scope } from '../../platform/auth/api-keys';
import { authenticate } from '../../platform/auth/authenticate';
import { ApiError } from '../../platform/errors';
import type { AppEnv } from '../app-env';

export function presentedKey(headers: Headers): string | null {
  const auth = headers.get('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    return m?.[1] ?? null;
  }
  return headers.get('x-api-key');
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

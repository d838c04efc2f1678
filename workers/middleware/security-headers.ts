import { createMiddleware } from 'hono/factory';
import { API_CSP, SECURITY_HEADERS } from '../../platform/http/security-policy';
import type { AppEnv } from '../app-env';

/**
 * The shared security headers (platform/http/security-policy.ts, also written into the dashboard's
 * `_headers`) on every Worker response; a route that serves HTML sets its own CSP first.
 */
export function securityHeaders() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (!c.res.headers.has('content-security-policy')) c.header('content-security-policy', API_CSP);
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });
}

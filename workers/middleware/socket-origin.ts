import { ApiError } from '../../platform/errors';
import { allowedOrigins } from './cors';

/**
 * Refuses a WebSocket upgrade from a foreign page (403). Browsers always send `Origin`; bots and
 * relays usually do not and are allowed. A foreign page must not ride a user's ticket or key; the
 * dashboard this Worker serves itself is same-origin and always allowed, as is `ALLOWED_ORIGINS`.
 */
export function refuseForeignOrigin(request: Request, env: Env, what: string): void {
  const origin = request.headers.get('origin');
  if (origin && origin !== new URL(request.url).origin && !allowedOrigins(env).includes(origin))
    throw new ApiError('forbidden', `This Origin may not open ${what}.`);
}

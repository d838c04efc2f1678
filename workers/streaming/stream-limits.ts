import { GATEWAY_HEADERS } from '../../durable-objects/stream-gateway/client';
import { ApiError } from '../../platform/errors';

/**
 * The Worker's side of the stream upgrade's refusals (docs/streaming.md, "Limits"). The gateway
 * decides (it authenticates the key, and the key's KeySockets object counts its connects and its
 * open sockets across every shard); this turns its answer into the API's one error shape, before
 * any upgrade: 401/403 for the key, 429 `rate_limited` with `Retry-After` for the stream's own
 * limits (separate from the REST request budget), 503 when a dependency cannot answer.
 */

/**
 * Retry-After for a key at its socket limit: a slot frees when one of its sockets closes, which
 * nothing predicts; a few seconds keeps a reconnect loop from hammering the upgrade.
 */
export const SOCKET_LIMIT_RETRY_AFTER_SECONDS = 10;

/** A presented key that cannot be one (never looked up). */
export function invalidKey(): ApiError {
  return new ApiError('unauthorized', 'The API key is invalid or revoked.', {
    headers: { 'www-authenticate': 'Bearer realm="skippy", error="invalid_token"' },
  });
}

/** The error for a gateway's refusal (any answer but 101). */
export function gatewayRefusal(res: Response): ApiError {
  const h = (name: string) => res.headers.get(name);
  const num = (name: string) => Number(h(name) ?? 0);
  switch (h(GATEWAY_HEADERS.refusal)) {
    case 'unauthorized':
      return invalidKey();
    case 'forbidden':
      return new ApiError('forbidden', 'This key lacks the `read` scope.', {
        details: { required: 'read', granted: (h(GATEWAY_HEADERS.scopes) ?? '').split(',').filter(Boolean) },
      });
    case 'auth_unavailable':
      return new ApiError('dependency_failed', 'Authentication is temporarily unavailable; retry shortly.');
    case 'connect_rate': {
      const max = num(GATEWAY_HEADERS.limit);
      const retryAfter = Math.max(1, num(GATEWAY_HEADERS.retryAfter));
      return new ApiError(
        'rate_limited',
        `Too many stream connects for this API key (at most ${max} a minute); retry after the Retry-After delay.`,
        {
          headers: {
            'retry-after': String(retryAfter),
            'ratelimit-limit': String(max),
            'ratelimit-policy': `${max};w=60`,
            'ratelimit-remaining': '0',
            'ratelimit-reset': String(retryAfter),
          },
          details: { limit: 'connect_rate', max, windowSeconds: 60, retryAfter },
        },
      );
    }
    case 'open_sockets': {
      const open = num(GATEWAY_HEADERS.open);
      const max = num(GATEWAY_HEADERS.limit);
      return new ApiError(
        'rate_limited',
        `This API key already holds ${open} open stream sockets (at most ${max}); close one or retry later.`,
        {
          headers: { 'retry-after': String(SOCKET_LIMIT_RETRY_AFTER_SECONDS) },
          details: { limit: 'open_sockets', max, open, retryAfter: SOCKET_LIMIT_RETRY_AFTER_SECONDS },
        },
      );
    }
    default:
      return new ApiError(
        'upstream_unavailable',
        'No stream gateway could take the connection; retry shortly.',
      );
  }
}

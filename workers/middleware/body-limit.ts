import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env';
import { ApiError } from '../errors';

/**
 * Rejects bodies over `maxBytes` with 413 before a handler parses them. Hono's limiter checks the
 * declared length and, for chunked bodies, the bytes actually read.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError('payload_too_large', `Request body exceeds ${maxBytes} bytes.`, {
        details: { maxBytes },
      });
    },
  });
}

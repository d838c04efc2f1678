import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../platform/errors';
import type { AppEnv } from '../app-env';

/** How much of an oversized body we read and discard before answering, as a multiple of the limit. */
const DRAIN_FACTOR = 8;

/**
 * Rejects bodies over `maxBytes` with 413 before a handler parses them, by declared length and, for
 * chunked bodies, by the bytes actually read. The rest of an oversized body is read and discarded
 * (up to `DRAIN_FACTOR` × the limit) before answering: a response sent while the client is still
 * uploading makes `wrangler dev`'s proxy drop the connection and answer 500 instead of our 413.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () =>
    new ApiError('payload_too_large', `Request body exceeds ${maxBytes} bytes.`, {
      details: { maxBytes },
    });
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const length = c.req.raw.headers.has('transfer-encoding') ? null : c.req.header('content-length');
    const declared = Number(length ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await drain(body.getReader(), maxBytes * DRAIN_FACTOR);
      throw tooLarge();
    }
    if (Number.isFinite(declared)) return next();
    // Chunked: buffer up to the limit, then hand the handler a request with the bytes read.
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await drain(reader, maxBytes * DRAIN_FACTOR - size);
        throw tooLarge();
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: bytes });
    return next();
  };
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  let left = budget;
  try {
    while (left > 0) {
      const { done, value } = await reader.read();
      if (done) return;
      left -= value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A client that hangs up mid-upload needs no answer beyond the 413 we are about to send.
  }
}

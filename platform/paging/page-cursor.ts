import { z } from '@hono/zod-openapi';
import { ApiError } from '../errors';

/**
 * The one codec of every paging cursor of the API. A cursor carries its position and a digest
 * of what it pages (the scope: `bars:AAPL:1d`, `backtests:<key>`, `trades:<job>`…), so one
 * made for a symbol, a list or a key other than the request's is refused instead of paging
 * the wrong thing. The digest is not a secret: every list is filtered by its key anyway, it
 * only makes a misplaced cursor a clear 400.
 */

/** The one answer for a cursor this API did not make for this request. */
export function invalidCursor(reason: string): ApiError {
  return new ApiError('invalid_cursor', 'Invalid cursor: start again without one.', {
    details: [{ path: 'cursor', message: reason }],
  });
}

const Envelope = z.object({ s: z.string(), p: z.unknown() }).strict();

/** Encodes `position` as a URL-safe cursor bound to `scope`. */
export function encodeCursor(scope: string, position: unknown): string {
  const text = JSON.stringify({ s: scopeDigest(scope), p: position });
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same `scope` and checks its position
 * with `schema`; anything else throws {@link invalidCursor}.
 */
export function decodeCursor<T>(cursor: string, scope: string, schema: z.ZodType<T>): T {
  let envelope: z.infer<typeof Envelope>;
  try {
    const parsed = Envelope.safeParse(JSON.parse(atob(cursor.replaceAll('-', '+').replaceAll('_', '/'))));
    if (!parsed.success) throw invalidCursor('not a cursor from this API');
    envelope = parsed.data;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw invalidCursor('not a cursor from this API');
  }
  if (envelope.s !== scopeDigest(scope)) throw invalidCursor('the cursor belongs to another list or query');
  const position = schema.safeParse(envelope.p);
  if (!position.success) throw invalidCursor('not a cursor from this API');
  return position.data;
}

/** FNV-1a over the scope, twice (two offsets) for 64 bits: a short, stable, synchronous digest. */
function scopeDigest(scope: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < scope.length; i++) {
    const ch = scope.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193) >>> 0;
    b = Math.imul(b ^ ch, 0x01000193) >>> 0;
  }
  return a.toString(36) + b.toString(36);
}

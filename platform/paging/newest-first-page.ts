import { z } from '@hono/zod-openapi';
import { and, eq, lt, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { decodeCursor, encodeCursor } from './page-cursor';

/**
 * Keyset paging for lists read newest first by (`createdAt`, `id`): the backtests and the
 * sweeps of a key. The cursor (see `page-cursor.ts`) holds the last row's `createdAt` and `id`
 * and is bound to the list and the key it pages (`scope`, e.g. `backtests:<keyId>`).
 */
export interface PageCursor {
  createdAt: number;
  id: string;
}

const Position = z.tuple([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^[a-z]{2}_[A-Za-z0-9_-]{1,40}$/),
]);

/** Reads a cursor made by {@link pageOf} for the same `scope`, or throws `invalid_cursor`. */
export function readPageCursor(cursor: string, scope: string): PageCursor {
  const [createdAt, id] = decodeCursor(cursor, scope, Position);
  return { createdAt, id };
}

/** Rows after the cursor in newest-first order (no condition without a cursor). */
export function olderThan(
  createdAt: SQLiteColumn,
  id: SQLiteColumn,
  after: PageCursor | null,
): SQL | undefined {
  if (!after) return undefined;
  return or(lt(createdAt, after.createdAt), and(eq(createdAt, after.createdAt), lt(id, after.id)));
}

/** One page of rows read with `limit + 1`, and the cursor of the next page (bound to `scope`). */
export function pageOf<T extends PageCursor>(
  rows: T[],
  limit: number,
  scope: string,
): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor: rows.length > limit && last ? encodeCursor(scope, [last.createdAt, last.id]) : null,
  };
}

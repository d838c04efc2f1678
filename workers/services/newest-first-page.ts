import { and, eq, lt, or, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { ApiError } from '../errors';

/**
 * Keyset paging for lists read newest first by (`createdAt`, `id`): the backtests and the
 * sweeps of a key. The cursor is the last row's `createdAt.id`, base64.
 */
export interface PageCursor {
  createdAt: number;
  id: string;
}

/** Reads a cursor made by {@link pageOf}; ids must carry `prefix` (`bt` jobs, `sw` sweeps). */
export function decodeCursor(cursor: string, prefix: 'bt' | 'sw'): PageCursor {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw new ApiError('bad_request', 'Malformed cursor.');
  }
  const m = /^(\d{1,16})\.([a-z]{2})_([A-Za-z0-9_-]{1,40})$/.exec(text);
  if (!m?.[1] || m[2] !== prefix || !m[3]) throw new ApiError('bad_request', 'Malformed cursor.');
  return { createdAt: Number(m[1]), id: `${prefix}_${m[3]}` };
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

/** One page of rows read with `limit + 1`, and the cursor of the next page. */
export function pageOf<T extends PageCursor>(
  rows: T[],
  limit: number,
): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor: rows.length > limit && last ? btoa(`${last.createdAt}.${last.id}`) : null,
  };
}

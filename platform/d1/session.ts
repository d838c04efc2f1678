import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';

/**
 * D1 read replication through the Sessions API
 * (developers.cloudflare.com/d1/best-practices/read-replication/). A request that opens a session
 * runs its queries through it: reads may be answered by a replica at least as new as the
 * session's bookmark, writes always go to the primary, and the session's bookmark after the
 * request, sent back by the client, makes its next request see everything this one saw or wrote.
 * The session lives in async context so that every `withD1` call of the request (and only of that
 * request) uses it; code outside a session (auth, queue consumers, objects) reaches the primary.
 */

/** Request and response header that carries a session bookmark. */
export const BOOKMARK_HEADER = 'x-d1-bookmark';

/**
 * A bookmark as D1 issues them (hex groups joined by `-`, e.g.
 * `00000002-00000004-00005010-0ea8e7bd…`); anything else is refused before it reaches D1,
 * where an unknown bookmark would fail the query instead of the request's validation.
 */
export const D1Bookmark = z
  .string()
  .max(256, 'bookmark too long')
  .regex(/^[0-9a-f]{8}(-[0-9a-f]{8,64}){1,8}$/i, 'not a D1 bookmark (hex groups joined by "-")');

const scope = new AsyncLocalStorage<D1DatabaseSession>();

/** The session the current request runs in, if any. */
export function currentSession(): D1DatabaseSession | undefined {
  return scope.getStore();
}

/**
 * Runs `fn` in a D1 session that starts at `bookmark` when the client sent one, else at
 * `constraint`: `first-unconstrained` for reads (any replica), `first-primary` for requests that
 * write and want their answer's bookmark to cover the write. Returns the session's last bookmark
 * (null when no query ran).
 */
export async function inD1Session<T>(
  env: Env,
  start: { bookmark?: string | undefined; constraint: D1SessionConstraint },
  fn: () => Promise<T>,
): Promise<{ value: T; bookmark: string | null }> {
  const session = env.DB.withSession(start.bookmark ?? start.constraint);
  const value = await scope.run(session, fn);
  return { value, bookmark: session.getBookmark() };
}

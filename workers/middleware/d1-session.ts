import { createMiddleware } from 'hono/factory';
import { BOOKMARK_HEADER, D1Bookmark, inD1Session } from '../../platform/d1/session';
import { ApiError, zodIssues } from '../../platform/errors';
import type { AppEnv } from '../app-env';

/**
 * Runs the route in a D1 session (read replicas, platform/d1/session.ts). A bookmark the client
 * sends in `x-d1-bookmark` starts the session there, so the request sees at least what the
 * request that returned it saw or wrote (read-your-writes); without one, reads take any replica
 * (`GET`/`HEAD`) or start at the primary (other methods, so that the answer's bookmark covers the
 * write). The session's bookmark goes back in the same header. Mounted after auth: the key lookup
 * stays on the primary, so a revocation is seen at once.
 */
export function d1Session() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const sent = c.req.header(BOOKMARK_HEADER);
    let bookmark: string | undefined;
    if (sent !== undefined) {
      const parsed = D1Bookmark.safeParse(sent);
      if (!parsed.success)
        throw new ApiError('validation_failed', 'Invalid header.', {
          details: zodIssues(parsed.error.issues).map((i) => ({ ...i, path: BOOKMARK_HEADER })),
        });
      bookmark = parsed.data;
    }
    const reads = c.req.method === 'GET' || c.req.method === 'HEAD';
    const { bookmark: after } = await inD1Session(
      c.env,
      { bookmark, constraint: reads ? 'first-unconstrained' : 'first-primary' },
      () => next(),
    );
    const latest = after ?? bookmark;
    if (latest) c.header(BOOKMARK_HEADER, latest);
  });
}

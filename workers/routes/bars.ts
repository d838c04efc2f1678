import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, SymbolParam } from '../../schema/contracts/common';
import { BarsPage, BarsQuery } from '../../schema/contracts/market';
import { ApiError } from '../errors';
import { createRouter } from '../router';
import { cached, kvKey, wantsFresh } from '../services/cache';
import { readBars, TIMEFRAME_MS } from '../services/market-data';
import { requireKnownSymbol } from '../services/symbol-guard';

/** Opaque to clients; it pins the query it continues so a cursor cannot be replayed against another. */
const Cursor = z.object({
  d: z.enum(['f', 'b']),
  t: z.number().int(),
  tf: z.string(),
  e: z.number().int().optional(),
});
type Cursor = z.infer<typeof Cursor>;

function encodeCursor(c: Cursor): string {
  return btoa(JSON.stringify(c)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function decodeCursor(s: string): Cursor {
  try {
    const json = atob(s.replaceAll('-', '+').replaceAll('_', '/'));
    const parsed = Cursor.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the error below
  }
  throw new ApiError('validation_failed', 'Invalid cursor.', {
    details: [{ path: 'cursor', message: 'not a cursor from this API' }],
  });
}

export const barsRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/{symbol}',
    tags: ['market data'],
    summary:
      'OHLCV bars, ascending. With `from`, pages forward; without, returns the newest bars up to `to` and pages backward.',
    security: [{ bearer: [] }],
    request: { params: SymbolParam, query: BarsQuery },
    responses: {
      200: { description: 'One page of bars', content: { 'application/json': { schema: BarsPage } } },
      ...errorResponses(400, 401, 404, 429, 503),
    },
  }),
  async (c) => {
    const { symbol } = c.req.valid('param');
    const q = c.req.valid('query');
    const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    await requireKnownSymbol(c.env, waitUntil, symbol);

    let direction: 'forward' | 'backward' = q.from !== undefined ? 'forward' : 'backward';
    let from = q.from;
    let to = q.to;
    if (q.cursor) {
      const cur = decodeCursor(q.cursor);
      if (cur.tf !== q.timeframe)
        throw new ApiError('validation_failed', 'Cursor belongs to another timeframe.');
      direction = cur.d === 'f' ? 'forward' : 'backward';
      if (direction === 'forward') {
        from = cur.t;
        to = cur.e;
      } else {
        to = cur.t;
        from = cur.e;
      }
    }
    const queryKey = `${q.timeframe}:${direction}:${from ?? ''}:${to ?? ''}:${q.limit}`;
    const live = to === undefined || to > Date.now() - 86_400_000;
    const r = await cached(
      { kv: c.env.CACHE, waitUntil, name: 'bars' },
      kvKey.bars(symbol, queryKey),
      // Recent windows change as bars close; old windows never do.
      {
        freshMs: live ? 5_000 : 3_600_000,
        keepSeconds: live ? 3_600 : 86_400,
        memory: true,
        bypass: wantsFresh(c.req.raw.headers),
      },
      () => readBars(c.env, { symbol, timeframe: q.timeframe, from, to, limit: q.limit, direction }),
    );
    const { rows, more } = r.value;
    let nextCursor: string | null = null;
    if (more && rows.length > 0) {
      nextCursor =
        direction === 'forward'
          ? encodeCursor({
              d: 'f',
              t: rows.at(-1)!.time + TIMEFRAME_MS[q.timeframe],
              tf: q.timeframe,
              ...(to !== undefined ? { e: to } : {}),
            })
          : encodeCursor({
              d: 'b',
              t: rows[0]!.time - 1,
              tf: q.timeframe,
              ...(from !== undefined ? { e: from } : {}),
            });
    }
    return c.json(
      {
        symbol,
        timeframe: q.timeframe,
        data: rows.map((b) => ({ t: b.time, o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume })),
        nextCursor,
        stale: r.stale,
        asOf: new Date(r.asOf).toISOString(),
      },
      200,
    );
  },
);

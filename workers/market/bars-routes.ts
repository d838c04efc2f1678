import { createRoute, z } from '@hono/zod-openapi';
import { cached, kvKey, wantsFresh } from '../../platform/cache';
import { BOOKMARK_HEADER } from '../../platform/d1/session';
import { readBars } from '../../platform/market/market-data';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { decodeCursor, encodeCursor } from '../../platform/paging/page-cursor';
import { errorResponses, SymbolParam } from '../../schema/contracts/common';
import { BarsPage, BarsQuery } from '../../schema/contracts/market';
import { TIMEFRAME_MS } from '../../schema/contracts/timeframes';
import { createRouter } from '../router';

/**
 * Where a bars page continues: direction, the next bar time and the range's other end. The
 * cursor is bound to the symbol and timeframe it pages (see `page-cursor.ts`).
 */
const DateMs = z.number().int().min(-8.64e15).max(8.64e15);
const BarsPosition = z.object({ d: z.enum(['f', 'b']), t: DateMs, e: DateMs.optional() }).strict();

const barsScope = (symbol: string, timeframe: string) => `bars:${symbol}:${timeframe}`;

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
      const cur = decodeCursor(q.cursor, barsScope(symbol, q.timeframe), BarsPosition);
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
        // A client that sends a session bookmark asks to see at least that state (read-your-writes):
        // a cached copy may be older, so only D1 through the session can answer it.
        bypass: wantsFresh(c.req.raw.headers) || c.req.header(BOOKMARK_HEADER) !== undefined,
      },
      () => readBars(c.env, { symbol, timeframe: q.timeframe, from, to, limit: q.limit, direction }),
    );
    const { rows, more } = r.value;
    let nextCursor: string | null = null;
    if (more && rows.length > 0) {
      nextCursor =
        direction === 'forward'
          ? encodeCursor(barsScope(symbol, q.timeframe), {
              d: 'f',
              t: rows.at(-1)!.time + TIMEFRAME_MS[q.timeframe],
              ...(to !== undefined ? { e: to } : {}),
            })
          : encodeCursor(barsScope(symbol, q.timeframe), {
              d: 'b',
              t: rows[0]!.time - 1,
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

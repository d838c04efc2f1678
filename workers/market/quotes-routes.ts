import { createRoute } from '@hono/zod-openapi';
import { roomFor } from '../../durable-objects/symbol-room/client';
import { cached, kvKey, wantsFresh } from '../../platform/cache';
import { breakerFor } from '../../platform/d1/circuit-breaker';
import { ApiError } from '../../platform/errors';
import { storedQuote } from '../../platform/market/market-data';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { errorResponses, SymbolParam } from '../../schema/contracts/common';
import { QuoteResponse } from '../../schema/contracts/market';
import { createRouter } from '../router';

export const quotesRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/{symbol}',
    tags: ['market data'],
    summary: 'Latest trade and quote: live from the symbol’s room, else the last stored copy.',
    security: [{ bearer: [] }],
    request: { params: SymbolParam },
    responses: {
      200: { description: 'Quote', content: { 'application/json': { schema: QuoteResponse } } },
      ...errorResponses(400, 401, 404, 429, 503),
    },
  }),
  async (c) => {
    const { symbol } = c.req.valid('param');
    const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    await requireKnownSymbol(c.env, waitUntil, symbol);
    // The room holds the live quote; KV keeps a copy (1 s fresh) so a failing room or D1 still answers, marked stale.
    const r = await cached(
      { kv: c.env.CACHE, waitUntil, name: 'quote' },
      kvKey.quote(symbol),
      { freshMs: 1_000, keepSeconds: 3_600, memory: true, bypass: wantsFresh(c.req.raw.headers) },
      async () => {
        const live = await breakerFor('symbol-room').call(() => roomFor(c.env, symbol).quote(symbol));
        if (live) return { quote: live, source: 'live' as const };
        const stored = await storedQuote(c.env, symbol);
        return stored ? { quote: stored, source: 'stored' as const } : null;
      },
    );
    if (!r.value) throw new ApiError('not_found', `No quote for ${symbol} yet.`);
    return c.json(
      { data: r.value.quote, source: r.value.source, stale: r.stale, asOf: new Date(r.asOf).toISOString() },
      200,
    );
  },
);

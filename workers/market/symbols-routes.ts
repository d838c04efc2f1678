import { createRoute, z } from '@hono/zod-openapi';
import { cached, kvKey, wantsFresh } from '../../platform/cache';
import { listSymbols } from '../../platform/market/market-data';
import { lookupSymbol } from '../../platform/market/symbol-guard';
import { errorResponses, SymbolParam } from '../../schema/contracts/common';
import { SymbolInfo, SymbolList } from '../../schema/contracts/market';
import { createRouter } from '../router';

const SymbolResponse = z
  .object({ data: SymbolInfo, stale: z.boolean(), asOf: z.string() })
  .openapi('SymbolResponse');

export const symbolsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['market data'],
      summary: 'All symbols.',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'Symbols', content: { 'application/json': { schema: SymbolList } } },
        ...errorResponses(401, 429, 503),
      },
    }),
    async (c) => {
      const r = await cached(
        { kv: c.env.CACHE, waitUntil: (p) => c.executionCtx.waitUntil(p), name: 'symbols' },
        kvKey.symbols(),
        { freshMs: 30_000, keepSeconds: 86_400, memory: true, bypass: wantsFresh(c.req.raw.headers) },
        () => listSymbols(c.env),
      );
      return c.json({ data: r.value, stale: r.stale, asOf: new Date(r.asOf).toISOString() }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{symbol}',
      tags: ['market data'],
      summary: 'One symbol.',
      security: [{ bearer: [] }],
      request: { params: SymbolParam },
      responses: {
        200: { description: 'Symbol', content: { 'application/json': { schema: SymbolResponse } } },
        ...errorResponses(400, 401, 404, 429, 503),
      },
    }),
    async (c) => {
      const { symbol } = c.req.valid('param');
      const r = await lookupSymbol(c.env, (p) => c.executionCtx.waitUntil(p), symbol, {
        bypass: wantsFresh(c.req.raw.headers),
      });
      return c.json({ data: r.value, stale: r.stale, asOf: new Date(r.asOf).toISOString() }, 200);
    },
  );

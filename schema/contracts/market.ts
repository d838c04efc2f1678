import { z } from '@hono/zod-openapi';
import { EpochMs, Instant, SymbolCode, Timeframe } from './common';

export const AssetClass = z.enum(['equity', 'crypto', 'fx']);

export const SymbolInfo = z
  .object({
    symbol: SymbolCode,
    name: z.string(),
    assetClass: AssetClass,
    exchange: z.string(),
    currency: z.string(),
    tickSize: z.number(),
    lotSize: z.number(),
    session: z.string().openapi({ description: '`24x7` or an exchange calendar id such as `XNYS`.' }),
    timezone: z.string(),
    active: z.boolean(),
  })
  .openapi('Symbol');
export type SymbolInfo = z.infer<typeof SymbolInfo>;

export const SymbolList = z
  .object({ data: z.array(SymbolInfo), stale: z.boolean(), asOf: z.string() })
  .openapi('SymbolList');

export const Quote = z
  .object({
    symbol: SymbolCode,
    seq: z.number().int(),
    ts: z.number().int().openapi({ description: 'Exchange/feed time of the last update, epoch ms.' }),
    last: z.number().nullable(),
    lastSize: z.number().nullable(),
    bid: z.number().nullable(),
    bidSize: z.number().nullable(),
    ask: z.number().nullable(),
    askSize: z.number().nullable(),
    dayOpen: z.number().nullable(),
    dayHigh: z.number().nullable(),
    dayLow: z.number().nullable(),
    dayVolume: z.number().nullable(),
    prevClose: z.number().nullable(),
  })
  .openapi('Quote');
export type Quote = z.infer<typeof Quote>;

export const QuoteResponse = z
  .object({
    data: Quote,
    source: z.enum(['live', 'stored']),
    stale: z.boolean(),
    asOf: z.string(),
  })
  .openapi('QuoteResponse');

export const Bar = z
  .object({
    t: EpochMs.openapi({ description: 'Bar open time, epoch ms UTC.' }),
    o: z.number(),
    h: z.number(),
    l: z.number(),
    c: z.number(),
    v: z.number(),
  })
  .strict()
  .openapi('Bar');
export type Bar = z.infer<typeof Bar>;

export const BarsQuery = z
  .object({
    timeframe: Timeframe.default('1d'),
    from: Instant.optional(),
    to: Instant.optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(500),
    cursor: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: 'Opaque cursor from a previous page’s `nextCursor`.' }),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: '`from` must not be after `to`.',
    path: ['from'],
  });
export type BarsQuery = z.infer<typeof BarsQuery>;

export const BarsPage = z
  .object({
    symbol: SymbolCode,
    timeframe: Timeframe,
    data: z.array(Bar),
    nextCursor: z.string().nullable(),
    stale: z.boolean(),
    asOf: z.string(),
  })
  .openapi('BarsPage');
export type BarsPage = z.infer<typeof BarsPage>;

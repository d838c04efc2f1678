import { z } from '@hono/zod-openapi';
import { SymbolCode } from './common';

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().min(0);

/** A trade or a quote from a feed relay. `sourceId` makes redelivery idempotent per symbol. */
export const TradeTick = z
  .object({
    type: z.literal('trade'),
    symbol: SymbolCode,
    sourceId: z.string().min(1).max(64),
    ts: z.number().int().positive(),
    price: positive,
    size: nonNegative,
  })
  .strict();
export const QuoteTick = z
  .object({
    type: z.literal('quote'),
    symbol: SymbolCode,
    sourceId: z.string().min(1).max(64),
    ts: z.number().int().positive(),
    bid: positive,
    bidSize: nonNegative,
    ask: positive,
    askSize: nonNegative,
  })
  .strict()
  .refine((q) => q.ask >= q.bid, { message: 'ask must be >= bid', path: ['ask'] });
export const Tick = z.discriminatedUnion('type', [TradeTick, QuoteTick]).openapi('Tick');
export type TradeTick = z.infer<typeof TradeTick>;
export type QuoteTick = z.infer<typeof QuoteTick>;
export type Tick = z.infer<typeof Tick>;

export const MAX_TICKS_PER_BATCH = 1000;

export const TickBatch = z
  .object({ ticks: z.array(Tick).min(1).max(MAX_TICKS_PER_BATCH) })
  .strict()
  .openapi('TickBatch');

export const SymbolIngestResult = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  lastSeq: z.number().int(),
});
export type SymbolIngestResult = z.infer<typeof SymbolIngestResult>;

export const TickIngestResult = z
  .object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    symbols: z.record(z.string(), SymbolIngestResult),
  })
  .openapi('TickIngestResult');

export const JsonBarRow = z
  .object({
    time: z.union([z.number().int().min(0), z.string().min(1).max(40)]),
    open: positive,
    high: positive,
    low: positive,
    close: positive,
    volume: nonNegative,
  })
  .strict();

export const BarsImportJson = z
  .object({
    symbol: SymbolCode,
    timeframe: z.enum(['1m', '1d']),
    bars: z.array(JsonBarRow).min(1).max(100_000),
  })
  .strict()
  .openapi('BarsImport');

export const BarsImportQuery = z.object({
  symbol: SymbolCode.optional(),
  timeframe: z.enum(['1m', '1d']).optional(),
});

export const BarsImportResult = z
  .object({
    symbol: SymbolCode,
    timeframe: z.enum(['1m', '1d']),
    imported: z.number().int(),
    from: z.number(),
    to: z.number(),
  })
  .openapi('BarsImportResult');

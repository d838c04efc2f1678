import { z } from '@hono/zod-openapi';
import { ErrorBody, SymbolCode } from './common';

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

/** Why one tick of a batch was refused (docs/market-data.md, "Ingest bounds"). */
export const TickRejectCode = z.enum([
  'too_late',
  'too_far_ahead',
  'invalid_price',
  'price_out_of_band',
  'invalid_size',
]);
export type TickRejectCode = z.infer<typeof TickRejectCode>;

/** A refused tick: its 0-based position in the batch sent, why, and nothing of it stored. */
export const TickRejection = z
  .object({
    index: z.number().int(),
    symbol: z.string(),
    sourceId: z.string(),
    code: TickRejectCode,
    reason: z.string(),
  })
  .openapi('TickRejection');
export type TickRejection = z.infer<typeof TickRejection>;

export const SymbolIngestResult = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  /** Ticks of this symbol refused by the bounds (listed in the batch's `rejected`). */
  rejected: z.number().int(),
  lastSeq: z.number().int(),
});
export type SymbolIngestResult = z.infer<typeof SymbolIngestResult>;

/**
 * A batch's outcome: `accepted` ticks were sequenced and stored, `duplicates` were dropped as
 * redeliveries, and each tick in `rejected` broke a bound and was not applied (resending it
 * unchanged will be refused again).
 */
export const TickIngestResult = z
  .object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    symbols: z.record(z.string(), SymbolIngestResult),
    rejected: z.array(TickRejection),
  })
  .openapi('TickIngestResult');
export type TickIngestResult = z.infer<typeof TickIngestResult>;

/**
 * The publisher socket (`GET /api/v1/ingest/stream`): a feed relay keeps one WebSocket open
 * instead of one HTTP request per batch. Each `ticks` frame is a {@link TickBatch} with an id
 * and gets exactly one answer with that id: `ack` (what POST /ingest/ticks answers with 200)
 * or `error` (its error body, with the HTTP status the request would have had).
 */
export const PublishFrame = z
  .object({
    type: z.literal('ticks'),
    id: z.string().min(1).max(64),
    ticks: z.array(Tick).min(1).max(MAX_TICKS_PER_BATCH),
  })
  .strict()
  .openapi('PublishFrame');
export type PublishFrame = z.infer<typeof PublishFrame>;

export const PublishAck = TickIngestResult.extend({
  type: z.literal('ack'),
  id: z.string(),
}).openapi('PublishAck');
export type PublishAck = z.infer<typeof PublishAck>;

export const PublishError = ErrorBody.extend({
  type: z.literal('error'),
  /** Absent when the frame was too malformed to carry one. */
  id: z.string().optional(),
  status: z.number().int(),
}).openapi('PublishError');
export type PublishError = z.infer<typeof PublishError>;

export const PUBLISH_LIMITS = {
  /** A full batch of 1,000 ticks is ~150 KB of JSON. */
  maxFrameBytes: 512 * 1024,
  /** Frames received and not yet answered, per socket; past it a frame is refused (`rate_limited`). */
  maxInFlight: 64,
  /** How often a socket's key is looked up again: a revoked key stops publishing within this (< 5 s). */
  recheckKeyMs: 3_000,
} as const;

/**
 * Imported bars must lie in [1970-01-01, now + 1 day]: earlier times are not epoch milliseconds
 * any feed produces, later ones are typos (2099) or seconds/microseconds mistaken for ms.
 */
export const IMPORT_MAX_AHEAD_MS = 86_400_000;

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

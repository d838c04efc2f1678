import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** One backtest job, inline or queued. `request` is the validated request JSON. */
export const backtests = sqliteTable(
  'backtests',
  {
    id: text('id').primaryKey(),
    keyId: text('key_id').notNull(),
    status: text('status', { enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] }).notNull(),
    mode: text('mode', { enum: ['inline', 'queued'] }).notNull(),
    request: text('request').notNull(),
    contentHash: text('content_hash').notNull(),
    idempotencyKey: text('idempotency_key'),
    sweepId: text('sweep_id'),
    progress: real('progress').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    /** A consumer holds the job until this time; a later attempt may take it over after. */
    leaseUntil: integer('lease_until'),
    error: text('error'),
    traceId: text('trace_id'),
    /** Answered from a stored result without running the engine. */
    cached: integer('cached', { mode: 'boolean' }).notNull().default(false),
    /** Bars of the run (known up front for stored ranges and inline bars). */
    bars: integer('bars'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    startedAt: integer('started_at'),
    completedAt: integer('completed_at'),
  },
  (t) => [
    index('backtests_status_lease').on(t.status, t.leaseUntil),
    index('backtests_key_created').on(t.keyId, t.createdAt),
    uniqueIndex('backtests_key_idem').on(t.keyId, t.idempotencyKey),
    index('backtests_sweep').on(t.sweepId),
  ],
);

/** Results, content-addressed by (data, strategy, params, engine version). */
export const backtestResults = sqliteTable(
  'backtest_results',
  {
    contentHash: text('content_hash').primaryKey(),
    /**
     * Hash of the request without the data's fingerprint: the inline path reads candidate
     * results by it in the same D1 batch that loads the bars, then keeps the one whose content
     * hash matches the bars it loaded.
     */
    requestKey: text('request_key'),
    engineVersion: text('engine_version').notNull(),
    stats: text('stats').notNull(),
    /** Trades still open after the last bar. Closed trades live in `backtest_trades`. */
    openTrades: text('open_trades').notNull().default('[]'),
    tradeCount: integer('trade_count').notNull().default(0),
    /** Equity curve downsampled to at most a few thousand points (D1 rows are capped at 2 MB). */
    equity: text('equity').notNull(),
    bars: integer('bars').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('backtest_results_request_key').on(t.requestKey)],
);

/** Closed trades of a result in chunks of a fixed size, so no row nears D1's 2 MB row limit. */
export const backtestTrades = sqliteTable(
  'backtest_trades',
  {
    contentHash: text('content_hash').notNull(),
    chunk: integer('chunk').notNull(),
    trades: text('trades').notNull(),
  },
  (t) => [primaryKey({ columns: [t.contentHash, t.chunk] })],
);

export const sweeps = sqliteTable(
  'sweeps',
  {
    id: text('id').primaryKey(),
    keyId: text('key_id').notNull(),
    status: text('status', { enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] }).notNull(),
    request: text('request').notNull(),
    rankBy: text('rank_by').notNull(),
    total: integer('total').notNull(),
    /** Combinations per queue message, and so the number of chunks. */
    chunkSize: integer('chunk_size').notNull().default(1),
    chunks: integer('chunks').notNull().default(0),
    idempotencyKey: text('idempotency_key'),
    error: text('error'),
    traceId: text('trace_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    completedAt: integer('completed_at'),
  },
  (t) => [
    index('sweeps_key_created').on(t.keyId, t.createdAt),
    uniqueIndex('sweeps_key_idem').on(t.keyId, t.idempotencyKey),
  ],
);

/** One evaluated chunk of a sweep; the primary key makes a redelivered chunk a no-op. */
export const sweepChunks = sqliteTable(
  'sweep_chunks',
  {
    sweepId: text('sweep_id').notNull(),
    chunk: integer('chunk').notNull(),
    /** JSON `[{ params, stats }]` of the chunk's valid combinations. */
    rows: text('rows').notNull(),
    evaluated: integer('evaluated').notNull(),
    skipped: integer('skipped').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sweepId, t.chunk] })],
);

/**
 * A change counter per stored series (`symbol`, `timeframe`), bumped by triggers on `bars`
 * (migration 0004) on every insert, update and delete, whoever writes: ingest, the rooms'
 * flushes, seeds, a hand-run SQL fix. The inline backtest path keeps loaded series in isolate
 * memory and checks this counter in the same D1 batch that would otherwise reload the bars
 * (`backtest-series-cache.ts`). A row exists only once a backtest registered it (`INSERT OR
 * IGNORE`, in the batch that loads the bars), so the triggers are a no-op index probe for
 * series nobody backtests. Rows are never deleted: a counter only grows.
 */
export const barVersions = sqliteTable(
  'bar_versions',
  {
    symbol: text('symbol').notNull(),
    timeframe: text('timeframe', { enum: ['1m', '1d'] }).notNull(),
    version: integer('version').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.symbol, t.timeframe] })],
);

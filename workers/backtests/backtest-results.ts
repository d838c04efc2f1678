import { and, asc, eq, gte } from 'drizzle-orm';
import { z } from 'zod';
import { downsampleEquity } from '../../engine/backtest/downsample';
import { runBacktest } from '../../engine/backtest/run-backtest';
import { openTradeToJson, statsToJson, tradeToJson } from '../../engine/backtest/serialize';
import { ENGINE_VERSION } from '../../engine/backtest/version';
import type { OhlcvSeries } from '../../engine/data/bars';
import { sha256Hex } from '../../platform/crypto';
import { type Database, withD1 } from '../../platform/d1/d1';
import { ApiError } from '../../platform/errors';
import {
  type BacktestRequest,
  type EquityCurve,
  EquityCurve as EquityCurveSchema,
  MAX_EQUITY_POINTS,
  StatsJson,
  type TradeJson,
  TradeJson as TradeJsonSchema,
} from '../../schema/contracts/backtests';
import { backtestResults, backtestTrades } from '../../schema/tables';
import type { DataSummary } from './backtest-data';

/** Trades per `backtest_trades` row: ~250 bytes each keeps a row far below D1's 2 MB. */
export const TRADES_PER_CHUNK = 500;

/** A result ready to store and to answer with. */
export interface ResultPayload {
  contentHash: string;
  requestKey: string | null;
  bars: number;
  stats: StatsJson;
  trades: TradeJson[];
  openTrades: Record<string, unknown>[];
  equity: EquityCurve;
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** The options of a request that change a result (not the data source, not presentation). */
export function runOptions(req: BacktestRequest): Omit<BacktestRequest, 'data' | 'equityPoints'> {
  const { data: _data, equityPoints: _points, ...options } = req;
  return options;
}

/** Hash of the request alone (data descriptor, options, engine): see `backtestResults.requestKey`. */
export function requestKey(req: BacktestRequest): Promise<string> {
  const data = 'bars' in req.data ? { inlineBars: req.data.bars.length } : req.data;
  return sha256Hex(canonicalJson({ engine: ENGINE_VERSION, data, options: runOptions(req) }));
}

/** Content address of a result: data fingerprint, strategy, params, options and engine version. */
export function contentHash(req: BacktestRequest, data: DataSummary): Promise<string> {
  return sha256Hex(canonicalJson({ engine: ENGINE_VERSION, data: data.key, options: runOptions(req) }));
}

/**
 * Runs the engine on a series and shapes its result for storage: JSON-safe statistics,
 * trades with ISO times, and the equity curve downsampled to `MAX_EQUITY_POINTS`.
 */
export function computeResult(
  series: OhlcvSeries,
  req: BacktestRequest,
  hash: string,
  key: string | null = null,
): ResultPayload {
  const r = runBacktest({ series, ...runOptions(req) });
  const curve = downsampleEquity(r.equity, MAX_EQUITY_POINTS);
  return {
    contentHash: hash,
    requestKey: key,
    bars: series.close.length,
    stats: statsToJson(r.stats),
    trades: r.trades.map(tradeToJson),
    openTrades: r.openTrades.map(openTradeToJson),
    equity: {
      t: Array.from(curve.index, (i) => series.time[i] ?? 0),
      v: Array.from(curve.value, finiteOrNull),
    },
  };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Statements that store a result; `INSERT OR IGNORE` makes a second store of the same hash a no-op. */
export function storeResultStatements(db: Database, p: ResultPayload, now: number) {
  const head = db
    .insert(backtestResults)
    .values({
      contentHash: p.contentHash,
      requestKey: p.requestKey,
      engineVersion: ENGINE_VERSION,
      stats: JSON.stringify(p.stats),
      openTrades: JSON.stringify(p.openTrades),
      tradeCount: p.trades.length,
      equity: JSON.stringify(p.equity),
      bars: p.bars,
      createdAt: now,
    })
    .onConflictDoNothing();
  const chunks = [];
  for (let i = 0; i * TRADES_PER_CHUNK < p.trades.length; i++) {
    chunks.push(
      db
        .insert(backtestTrades)
        .values({
          contentHash: p.contentHash,
          chunk: i,
          trades: JSON.stringify(p.trades.slice(i * TRADES_PER_CHUNK, (i + 1) * TRADES_PER_CHUNK)),
        })
        .onConflictDoNothing(),
    );
  }
  return [head, ...chunks] as const;
}

/** A stored result's head, parsed back from D1 (null when none is stored for the hash). */
export interface StoredResult {
  engineVersion: string;
  stats: StatsJson;
  openTrades: Record<string, unknown>[];
  tradeCount: number;
  equity: EquityCurve;
  bars: number;
}

const OpenTradesJson = z.array(z.record(z.string(), z.unknown()));

export async function readResult(env: Env, hash: string): Promise<StoredResult | null> {
  const row = await withD1(env, 'backtests.result_get', (db) =>
    db.select().from(backtestResults).where(eq(backtestResults.contentHash, hash)).get(),
  );
  return row ? toStoredResult(row) : null;
}

/**
 * A stored result with its first `limit` trades, in one D1 round trip (a batch of two reads):
 * the inline path's cache lookup, so a miss costs no more than an existence check.
 */
export async function readResultWithTrades(
  env: Env,
  hash: string,
  limit: number,
): Promise<{ result: StoredResult; trades: TradeJson[] } | null> {
  const chunks = Math.ceil(limit / TRADES_PER_CHUNK);
  const [heads, tradeRows] = await withD1(env, 'backtests.result_get_with_trades', (db) =>
    db.batch([
      db.select().from(backtestResults).where(eq(backtestResults.contentHash, hash)).limit(1),
      db
        .select()
        .from(backtestTrades)
        .where(eq(backtestTrades.contentHash, hash))
        .orderBy(asc(backtestTrades.chunk))
        .limit(chunks),
    ]),
  );
  const head = heads[0];
  if (!head) return null;
  const trades = tradeRows
    .flatMap((r) => parseStored(z.array(TradeJsonSchema), r.trades, 'trades'))
    .slice(0, limit);
  return { result: toStoredResult(head), trades };
}

/** Parses a result row and its first trade chunks (as read by a batch) into a cache hit. */
export function storedWithTrades(
  head: typeof backtestResults.$inferSelect,
  tradeRows: ReadonlyArray<{ contentHash: string; trades: string }>,
  limit: number,
): { result: StoredResult; trades: TradeJson[] } {
  const trades = tradeRows
    .filter((r) => r.contentHash === head.contentHash)
    .flatMap((r) => parseStored(z.array(TradeJsonSchema), r.trades, 'trades'))
    .slice(0, limit);
  return { result: toStoredResult(head), trades };
}

function toStoredResult(row: typeof backtestResults.$inferSelect): StoredResult {
  return {
    engineVersion: row.engineVersion,
    stats: parseStored(StatsJson, row.stats, 'stats'),
    openTrades: parseStored(OpenTradesJson, row.openTrades, 'open trades'),
    tradeCount: row.tradeCount,
    equity: parseStored(EquityCurveSchema, row.equity, 'equity'),
    bars: row.bars,
  };
}

/** True when a result for the hash is stored (the cheap existence check before running). */
export async function hasResult(env: Env, hash: string): Promise<boolean> {
  const row = await withD1(env, 'backtests.result_exists', (db) =>
    db
      .select({ h: backtestResults.contentHash })
      .from(backtestResults)
      .where(eq(backtestResults.contentHash, hash))
      .get(),
  );
  return row !== undefined;
}

/** Trades [offset, offset + limit) of a stored result. */
export async function readTrades(
  env: Env,
  hash: string,
  offset: number,
  limit: number,
): Promise<TradeJson[]> {
  if (limit <= 0) return [];
  const first = Math.floor(offset / TRADES_PER_CHUNK);
  const last = Math.floor((offset + limit - 1) / TRADES_PER_CHUNK);
  const rows = await withD1(env, 'backtests.trades_get', (db) =>
    db
      .select()
      .from(backtestTrades)
      .where(and(eq(backtestTrades.contentHash, hash), gte(backtestTrades.chunk, first)))
      .orderBy(asc(backtestTrades.chunk))
      .limit(last - first + 1)
      .all(),
  );
  const all = rows.flatMap((r) => parseStored(z.array(TradeJsonSchema), r.trades, 'trades'));
  const start = offset - first * TRADES_PER_CHUNK;
  return all.slice(start, start + limit);
}

/** Downsamples a stored curve further for a chart of `points` points. */
export function equityForChart(curve: EquityCurve, points: number): EquityCurve {
  if (curve.v.length <= points) return curve;
  const ds = downsampleEquity(
    Float64Array.from(curve.v, (v) => v ?? Number.NaN),
    points,
  );
  return { t: Array.from(ds.index, (i) => curve.t[i] ?? 0), v: Array.from(ds.value, finiteOrNull) };
}

function parseStored<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError('internal', `Stored backtest ${what} are unreadable.`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new ApiError('internal', `Stored backtest ${what} do not match their schema.`);
  return r.data;
}

import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { type OhlcvRow, type OhlcvSeries, seriesFromRows } from '../../engine/data/bars';
import { DAY_MS } from '../../engine/stats/periods';
import { type Database, withD1 } from '../../platform/d1/d1';
import { dependencyUnavailable, isDependencyFailure } from '../../platform/errors';
import { OhlcvRowSchema } from '../../schema/contracts/ohlcv';
import type { PredictionHorizon } from '../../schema/contracts/predictions';

const HOUR = 3_600_000;
// D1 binds JS numbers as REAL, which would turn `ts / ?` into float division: inline the constant.
const HOUR_SQL = sql.raw(String(HOUR));

/**
 * How each API horizon is modelled: `1h` predicts one hourly bar ahead on hourly bars aggregated
 * from the stored 1-minute bars (an hour of 1m bars with horizon 60 would train on heavily
 * overlapping labels and read 60× more rows per prediction); `1d` predicts one daily bar ahead.
 */
export const HORIZON_SPEC = {
  '1h': {
    barMs: HOUR,
    source: '1m',
    horizonBars: 1,
    barsPerYear: 24 * 365,
    trainBars: 1_000,
    modelTtlMs: HOUR,
  },
  '1d': {
    barMs: DAY_MS,
    source: '1d',
    horizonBars: 1,
    barsPerYear: 252,
    trainBars: 1_000,
    modelTtlMs: DAY_MS,
  },
} as const satisfies Record<
  PredictionHorizon,
  {
    barMs: number;
    source: '1m' | '1d';
    horizonBars: number;
    barsPerYear: number;
    trainBars: number;
    modelTtlMs: number;
  }
>;

/**
 * A bar counts as closed this long after its end: symbol rooms flush closed 1m bars to D1
 * within about 2 s (FLUSH_DELAY_MS), and a bar's last minute must be in before it is read.
 */
export const FLUSH_GRACE_MS = 10_000;

/**
 * Source bars strictly before this instant belong to closed prediction bars: a daily bar is closed
 * one day after its open, an hourly bucket once the next hour has started (each plus the grace).
 */
export function closedBefore(horizon: PredictionHorizon, now: number): number {
  const t = now - FLUSH_GRACE_MS;
  return horizon === '1d' ? t - DAY_MS + 1 : Math.floor(t / HOUR) * HOUR;
}

/** Open time of the newest prediction bar that can be closed at `now` (bars on the UTC grid). */
export function newestClosableBar(horizon: PredictionHorizon, now: number): number {
  const barMs = HORIZON_SPEC[horizon].barMs;
  return Math.floor((now - FLUSH_GRACE_MS) / barMs) * barMs - barMs;
}

/** Open time of the prediction bar that contains a source bar opened at `ts`. */
export function barOf(horizon: PredictionHorizon, ts: number): number {
  return horizon === '1d' ? ts : Math.floor(ts / HOUR) * HOUR;
}

/** A D1 call whose failure reaches the client as `dependency_failed` (503), not a generic 500. */
export function d1OrUnavailable<T>(
  env: Env,
  op: string,
  what: string,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  return withD1(env, op, fn).catch((err: unknown) => {
    throw isDependencyFailure(err) ? dependencyUnavailable(what) : err;
  });
}

export interface ModelHead {
  version: string;
  trainedAt: number;
  trainedThrough: number;
  expiresAt: number;
}

export interface PredictionState {
  /** Open time of the last closed prediction bar, or null when the symbol has no closed bars. */
  lastBar: number | null;
  /** Newest `ready` model trained through at most `lastBar`. */
  model: ModelHead | null;
}

const StateRow = z.object({
  last_ts: z.number().int().nullable(),
  version: z.string().nullable(),
  trained_at: z.number().int().nullable(),
  trained_through: z.number().int().nullable(),
  expires_at: z.number().int().nullable(),
});

/**
 * One D1 round trip per request: the last closed bar and the head of the newest usable model.
 * Both are read fresh on every call, so a new bar or a new model version is seen immediately.
 */
export async function predictionState(
  env: Env,
  symbol: string,
  horizon: PredictionHorizon,
  now: number,
): Promise<PredictionState> {
  const spec = HORIZON_SPEC[horizon];
  const cutoff = closedBefore(horizon, now);
  const bucket = horizon === '1d' ? sql`l.ts` : sql`(l.ts / ${HOUR_SQL}) * ${HOUR_SQL}`;
  const rows = await d1OrUnavailable(env, 'predictions.state', 'The prediction store', (db) =>
    db.all(sql`
      WITH l AS (
        SELECT ts FROM bars WHERE symbol = ${symbol} AND timeframe = ${spec.source} AND ts < ${cutoff} ORDER BY ts DESC LIMIT 1
      )
      SELECT l.ts AS last_ts, m.version, m.trained_at, m.trained_through, m.expires_at
      FROM l LEFT JOIN (
        SELECT version, trained_at, trained_through, expires_at FROM models
        WHERE symbol = ${symbol} AND horizon = ${horizon} AND status = 'ready'
      ) m ON m.trained_through <= ${bucket}
      ORDER BY m.trained_at DESC LIMIT 1`),
  );
  const parsed = z.array(StateRow).safeParse(rows);
  if (!parsed.success) throw dependencyUnavailable('The prediction state');
  const r = parsed.data[0];
  if (!r || r.last_ts === null) return { lastBar: null, model: null };
  const model =
    r.version !== null && r.trained_at !== null && r.trained_through !== null && r.expires_at !== null
      ? {
          version: r.version,
          trainedAt: r.trained_at,
          trainedThrough: r.trained_through,
          expiresAt: r.expires_at,
        }
      : null;
  return { lastBar: barOf(horizon, r.last_ts), model };
}

const BarRow = OhlcvRowSchema;

/**
 * The newest `count` prediction bars whose open time is at most `throughBar`, ascending.
 * Hourly bars are aggregated inside D1 (one row per hour crosses the binding, not sixty); the
 * scanned window starts tight and widens only for symbols with session gaps.
 */
export async function loadSeries(
  env: Env,
  symbol: string,
  horizon: PredictionHorizon,
  throughBar: number,
  count: number,
): Promise<OhlcvSeries> {
  if (horizon === '1d') {
    const rows = await d1OrUnavailable(env, 'predictions.bars', 'Bar data', (db) =>
      db.all(sql`
        SELECT ts AS time, open, high, low, close, volume FROM bars
        WHERE symbol = ${symbol} AND timeframe = '1d' AND ts <= ${throughBar}
        ORDER BY ts DESC LIMIT ${count}`),
    );
    return seriesFromRows(parseBars(rows).reverse());
  }
  const end = throughBar + HOUR;
  let rows: OhlcvRow[] = [];
  // Start from the window that sufficed last time for this symbol (session gaps are stable).
  for (let w = widenHint.get(symbol) ?? 0; w < WIDEN.length; w++) {
    const widen = WIDEN[w] ?? Number.POSITIVE_INFINITY;
    const from = Number.isFinite(widen) ? end - Math.ceil(count * widen) * HOUR : 0;
    rows = await hourlyBars(env, symbol, from, end, count);
    if (rows.length >= count) {
      widenHint.set(symbol, w);
      break;
    }
  }
  return seriesFromRows(rows);
}

/** Scanned window in multiples of the hours wanted: 24×7 symbols, then trading sessions, then all. */
const WIDEN = [1.25, 6, Number.POSITIVE_INFINITY];
const widenHint = new Map<string, number>();

async function hourlyBars(
  env: Env,
  symbol: string,
  from: number,
  end: number,
  count: number,
): Promise<OhlcvRow[]> {
  const rows = await d1OrUnavailable(env, 'predictions.bars_1h', 'Bar data', (db) =>
    db.all(sql`
      SELECT g.bucket AS time,
        (SELECT open FROM bars WHERE symbol = ${symbol} AND timeframe = '1m' AND ts = g.first_ts) AS open,
        g.high, g.low,
        (SELECT close FROM bars WHERE symbol = ${symbol} AND timeframe = '1m' AND ts = g.last_ts) AS close,
        g.volume
      FROM (
        SELECT (ts / ${HOUR_SQL}) * ${HOUR_SQL} AS bucket, MIN(ts) AS first_ts, MAX(ts) AS last_ts,
          MAX(high) AS high, MIN(low) AS low, SUM(volume) AS volume
        FROM bars WHERE symbol = ${symbol} AND timeframe = '1m' AND ts >= ${from} AND ts < ${end}
        GROUP BY bucket ORDER BY bucket DESC LIMIT ${count}
      ) g ORDER BY g.bucket ASC`),
  );
  return parseBars(rows);
}

function parseBars(rows: unknown): OhlcvRow[] {
  const parsed = z.array(BarRow).safeParse(rows);
  if (!parsed.success) throw dependencyUnavailable('Bar data');
  return parsed.data;
}

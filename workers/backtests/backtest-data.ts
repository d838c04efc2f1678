import { and, eq, gte, lte, sql } from 'drizzle-orm';
import { emptySeries, type OhlcvSeries, setRow } from '../../engine/data/bars';
import { hex, sha256Hex } from '../../platform/crypto';
import { withD1 } from '../../platform/d1/d1';
import { ApiError } from '../../platform/errors';
import { readBars, sourceTimeframe } from '../../platform/market/market-data';
import type { BacktestData, InlineBarsSource, StoredBarsSource } from '../../schema/contracts/backtests';
import { TIMEFRAME_MS } from '../../schema/contracts/timeframes';
import { bars } from '../../schema/tables';

/** Source rows read per D1 query when loading a whole range. */
const PAGE_SOURCE_ROWS = 20_000;

/** What a request's data is, known before any bar is loaded. */
export interface DataSummary {
  /** Bars of the run (an upper bound for aggregated timeframes, exact otherwise). */
  bars: number;
  /** Identifies the data for the content hash. */
  key: Record<string, unknown>;
}

export function isStored(d: BacktestData): d is StoredBarsSource {
  return 'symbol' in d;
}

/**
 * Counts and fingerprints a stored range in one aggregate query (count, first/last time and
 * column sums), so the content hash changes when the bars do without reading them all.
 */
export async function summarizeStored(env: Env, d: StoredBarsSource): Promise<DataSummary> {
  const src = sourceTimeframe(d.timeframe);
  const bucket = TIMEFRAME_MS[d.timeframe];
  const from = d.from !== undefined ? Math.floor(d.from / bucket) * bucket : undefined;
  const row = await withD1(env, 'backtests.data_summary', (db) => {
    const conds = [eq(bars.symbol, d.symbol), eq(bars.timeframe, src)];
    if (from !== undefined) conds.push(gte(bars.ts, from));
    if (d.to !== undefined) conds.push(lte(bars.ts, d.to));
    return db
      .select({
        n: sql<number>`count(*)`,
        first: sql<number | null>`min(${bars.ts})`,
        last: sql<number | null>`max(${bars.ts})`,
        sum: sql<
          number | null
        >`total(${bars.open}) + total(${bars.high}) * 3 + total(${bars.low}) * 7 + total(${bars.close}) * 11 + total(${bars.volume})`,
      })
      .from(bars)
      .where(and(...conds))
      .get();
  });
  const n = Number(row?.n ?? 0);
  const ratio = bucket / TIMEFRAME_MS[src];
  return {
    bars: Math.ceil(n / ratio),
    key: {
      symbol: d.symbol,
      timeframe: d.timeframe,
      n,
      first: row?.first ?? null,
      last: row?.last ?? null,
      sum: row?.sum ?? 0,
    },
  };
}

/**
 * Most bars a stored range can hold, from its bounds alone (Infinity without `from`). When it
 * is small the range is loaded at once and fingerprinted from its bytes, saving a count query.
 */
export function maxPossibleBars(d: StoredBarsSource, now: number): number {
  if (d.from === undefined) return Number.POSITIVE_INFINITY;
  const bucket = TIMEFRAME_MS[d.timeframe];
  const to = d.to ?? now;
  return Math.max(0, Math.floor(to / bucket) - Math.floor(d.from / bucket) + 1);
}

/** SHA-256 (hex) of a series' columns, one after the other: what `summarizeLoaded` hashes. */
export async function digestSeries(s: OhlcvSeries): Promise<string> {
  const n = s.close.length;
  const bytes = new Uint8Array(n * 6 * 8);
  const view = new Float64Array(bytes.buffer);
  let k = 0;
  for (const col of [s.time, s.open, s.high, s.low, s.close, s.volume]) view.set(col, n * k++);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/** Identifies a loaded stored range by its bytes (their `digestSeries`), for the content hash. */
export function summaryOfDigest(d: StoredBarsSource, n: number, digest: string): DataSummary {
  return { bars: n, key: { symbol: d.symbol, timeframe: d.timeframe, n, bytes: digest } };
}

/** Identifies a loaded stored range by its bytes, for the content hash. */
export async function summarizeLoaded(d: StoredBarsSource, s: OhlcvSeries): Promise<DataSummary> {
  return summaryOfDigest(d, s.close.length, await digestSeries(s));
}

export async function summarizeInline(d: InlineBarsSource): Promise<DataSummary> {
  return { bars: d.bars.length, key: { inline: await sha256Hex(JSON.stringify(d.bars)) } };
}

export function summarize(env: Env, d: BacktestData): Promise<DataSummary> {
  return isStored(d) ? summarizeStored(env, d) : summarizeInline(d);
}

/** Throws the API's answers for unusable data: no bars (422) or more than the limit (413). */
export function checkBarLimits(summary: DataSummary, maxBars: number): void {
  if (summary.bars === 0) throw new ApiError('unprocessable', 'No bars in the requested range.');
  if (summary.bars > maxBars) {
    throw new ApiError(
      'payload_too_large',
      `The run covers ${summary.bars} bars, more than the limit of ${maxBars}.`,
      {
        details: { bars: summary.bars, maxBars },
      },
    );
  }
}

export function seriesFromInline(d: InlineBarsSource): OhlcvSeries {
  const n = d.bars.length;
  const s = allocate(n);
  d.bars.forEach((b, i) => {
    s.time[i] = b.t;
    s.open[i] = b.o;
    s.high[i] = b.h;
    s.low[i] = b.l;
    s.close[i] = b.c;
    s.volume[i] = b.v;
  });
  return s;
}

/**
 * Loads a whole stored range as one series, page by page (aggregated timeframes included).
 * `onPage(loaded)` runs after each page: the consumer renews its lease there and stops when
 * it returns false (the job was cancelled).
 */
export async function loadStoredSeries(
  env: Env,
  d: StoredBarsSource,
  expectedBars: number,
  onPage?: (loaded: number) => Promise<boolean>,
): Promise<OhlcvSeries | null> {
  const bucket = TIMEFRAME_MS[d.timeframe];
  const ratio = bucket / TIMEFRAME_MS[sourceTimeframe(d.timeframe)];
  const limit = Math.max(1, Math.floor(PAGE_SOURCE_ROWS / ratio) - 2);
  let cap = Math.max(1, expectedBars);
  let s = allocate(cap);
  let n = 0;
  let from = d.from;
  for (;;) {
    const page = await readBars(env, {
      symbol: d.symbol,
      timeframe: d.timeframe,
      from,
      to: d.to,
      limit,
      direction: 'forward',
    });
    for (const r of page.rows) {
      if (n === cap) {
        cap *= 2;
        s = grow(s, cap, n);
      }
      setRow(s, n, r);
      n++;
    }
    const last = page.rows.at(-1);
    if (onPage && !(await onPage(n))) return null;
    if (!page.more || !last) break;
    from = last.time + bucket;
  }
  return {
    time: s.time.subarray(0, n),
    open: s.open.subarray(0, n),
    high: s.high.subarray(0, n),
    low: s.low.subarray(0, n),
    close: s.close.subarray(0, n),
    volume: s.volume.subarray(0, n),
  };
}

interface MutableSeries {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

function allocate(n: number): MutableSeries {
  return emptySeries(n);
}

function grow(s: MutableSeries, cap: number, n: number): MutableSeries {
  const out = allocate(cap);
  for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const)
    out[k].set(s[k].subarray(0, n));
  return out;
}

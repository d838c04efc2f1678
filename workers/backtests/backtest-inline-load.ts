import { and, asc, desc, eq, exists, gt, gte, inArray, lt, lte, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { type OhlcvSeries, seriesFromRows } from '../../engine/data/bars';
import { type Database, withD1 } from '../../platform/d1/d1';
import { sourceTimeframe } from '../../platform/market/market-data';
import { observeCache } from '../../platform/observe';
import type { StoredBarsSource } from '../../schema/contracts/backtests';
import { TIMEFRAME_MS } from '../../schema/contracts/timeframes';
import { backtestResults, backtestTrades, bars, barVersions, ohlcvColumns } from '../../schema/tables';
import { digestSeries } from './backtest-data';
import { TRADES_PER_CHUNK } from './backtest-results';
import {
  type CachedSeries,
  forgetSeries,
  recallSeries,
  rememberSeries,
  seriesKey,
} from './backtest-series-cache';

/** Results kept per request key that a lookup considers (older data versions beyond are misses). */
const CANDIDATES = 4;

export interface InlineLoad {
  series: OhlcvSeries;
  /** SHA-256 of the series' bytes (`digestSeries`), computed once per loaded version. */
  digest: string;
  /** True when the series came from isolate memory, confirmed unchanged by D1. */
  fromMemory: boolean;
  candidates: Array<typeof backtestResults.$inferSelect>;
  tradeRows: Array<{ contentHash: string; chunk: number; trades: string }>;
}

/** True when the range is a stored timeframe (no aggregation), which `loadWithCandidates` reads in one query. */
export function loadsInOneQuery(d: StoredBarsSource): boolean {
  return d.from !== undefined && sourceTimeframe(d.timeframe) === d.timeframe;
}

/**
 * The inline fast path: one D1 batch (one transaction) reads the bars of a bounded range, the
 * stored results of the same request key and their first trades. The caller hashes the bars and
 * keeps the candidate whose content hash matches, so a cache hit and a miss cost the same round
 * trip.
 *
 * When this isolate already holds the range (`backtest-series-cache.ts`), the bars are read
 * only if they changed: the bars query is conditioned on the series' `bar_versions` counter
 * differing from the one the copy was read at (or, for a range open towards now, on a bar having
 * arrived since), so an unchanged series costs an index probe instead of thousands of rows. The
 * first load registers the counter row in the same transaction, so no write can fall between
 * the bars read and the version read.
 */
export async function loadWithCandidates(
  env: Env,
  d: StoredBarsSource,
  maxRows: number,
  requestKey: string,
  trades: number,
  now: number,
): Promise<InlineLoad> {
  const tf = sourceTimeframe(d.timeframe);
  const bucket = TIMEFRAME_MS[d.timeframe];
  const from = Math.floor((d.from ?? 0) / bucket) * bucket;
  const to = d.to ?? now;
  const key = seriesKey(d.symbol, tf, from, d.to);
  const held = recallSeries(key);
  // A copy read at a later "now" than this request's may hold a bar beyond `to`: not usable.
  const known = held && (d.to !== undefined || lastTime(held.series) <= to) ? held : undefined;
  const chunks = Math.ceil(trades / TRADES_PER_CHUNK);
  const { version, rows, candidates, tradeRows } = await withD1(env, 'backtests.inline_load', (db) => {
    const range = and(
      eq(bars.symbol, d.symbol),
      eq(bars.timeframe, tf),
      gte(bars.ts, from),
      lte(bars.ts, to),
    );
    const barsQuery = db
      .select(ohlcvColumns)
      .from(bars)
      .where(known ? and(range, changedSince(db, d, tf, known, to)) : range)
      .orderBy(asc(bars.ts))
      .limit(maxRows);
    const versionQuery = db
      .select({ version: barVersions.version })
      .from(barVersions)
      .where(and(eq(barVersions.symbol, d.symbol), eq(barVersions.timeframe, tf)));
    const keyed = db
      .select({ h: backtestResults.contentHash })
      .from(backtestResults)
      .where(eq(backtestResults.requestKey, requestKey))
      .orderBy(desc(backtestResults.createdAt))
      .limit(CANDIDATES);
    const candidatesQuery = db
      .select()
      .from(backtestResults)
      .where(eq(backtestResults.requestKey, requestKey))
      .orderBy(desc(backtestResults.createdAt))
      .limit(CANDIDATES);
    const tradesQuery = db
      .select({
        contentHash: backtestTrades.contentHash,
        chunk: backtestTrades.chunk,
        trades: backtestTrades.trades,
      })
      .from(backtestTrades)
      .where(and(inArray(backtestTrades.contentHash, keyed), lt(backtestTrades.chunk, chunks)))
      .orderBy(asc(backtestTrades.chunk));
    if (known) {
      return db
        .batch([versionQuery, barsQuery, candidatesQuery, tradesQuery])
        .then(([v, r, c, t]) => ({ version: v[0]?.version ?? null, rows: r, candidates: c, tradeRows: t }));
    }
    const register = db
      .insert(barVersions)
      .values({ symbol: d.symbol, timeframe: tf, version: 0 })
      .onConflictDoNothing();
    return db
      .batch([register, versionQuery, barsQuery, candidatesQuery, tradesQuery])
      .then(([, v, r, c, t]) => ({ version: v[0]?.version ?? null, rows: r, candidates: c, tradeRows: t }));
  });

  if (known && rows.length === 0 && version === known.version) {
    observeCache('backtest_series', 'hit');
    return { series: known.series, digest: known.digest, fromMemory: true, candidates, tradeRows };
  }
  observeCache('backtest_series', 'miss');
  const series = seriesFromRows(rows);
  const digest = await digestSeries(series);
  if (version === null) forgetSeries(key);
  else rememberSeries(key, { series, digest, version, loadedTo: to });
  return { series, digest, fromMemory: false, candidates, tradeRows };
}

/**
 * SQL that is true when the copy in memory may differ from the stored range: the series'
 * counter moved (or its row is gone), or, when the range is open towards now, a bar exists
 * after the time the copy was read.
 */
function changedSince(db: Database, d: StoredBarsSource, tf: '1m' | '1d', known: CachedSeries, to: number) {
  const counterMoved = notExists(
    db
      .select({ one: sql`1` })
      .from(barVersions)
      .where(
        and(
          eq(barVersions.symbol, d.symbol),
          eq(barVersions.timeframe, tf),
          eq(barVersions.version, known.version),
        ),
      ),
  );
  if (d.to !== undefined || to <= known.loadedTo) return counterMoved;
  const newer = alias(bars, 'newer');
  return or(
    counterMoved,
    exists(
      db
        .select({ one: sql`1` })
        .from(newer)
        .where(
          and(
            eq(newer.symbol, d.symbol),
            eq(newer.timeframe, tf),
            gt(newer.ts, known.loadedTo),
            lte(newer.ts, to),
          ),
        ),
    ),
  );
}

function lastTime(s: OhlcvSeries): number {
  return s.time[s.time.length - 1] ?? Number.NEGATIVE_INFINITY;
}

import { and, asc, desc, eq, gte, inArray, lt, lte } from 'drizzle-orm';
import { type OhlcvSeries, seriesFromRows } from '../../engine/data/bars';
import type { StoredBarsSource } from '../../schema/contracts/backtests';
import { backtestResults, backtestTrades, bars, ohlcvColumns } from '../../schema/tables';
import { TRADES_PER_CHUNK } from './backtest-results';
import { withD1 } from './d1';
import { sourceTimeframe, TIMEFRAME_MS } from './market-data';

/** Results kept per request key that a lookup considers (older data versions beyond are misses). */
const CANDIDATES = 4;

export interface InlineLoad {
  series: OhlcvSeries;
  candidates: Array<typeof backtestResults.$inferSelect>;
  tradeRows: Array<{ contentHash: string; chunk: number; trades: string }>;
}

/** True when the range is a stored timeframe (no aggregation), which `loadWithCandidates` reads in one query. */
export function loadsInOneQuery(d: StoredBarsSource): boolean {
  return d.from !== undefined && sourceTimeframe(d.timeframe) === d.timeframe;
}

/**
 * The inline fast path: one D1 batch reads the bars of a bounded range, the stored results
 * of the same request key and their first trades. The caller hashes the bars and keeps the
 * candidate whose content hash matches, so a cache hit and a miss cost the same round trip.
 */
export async function loadWithCandidates(
  env: Env,
  d: StoredBarsSource,
  maxRows: number,
  requestKey: string,
  trades: number,
  now: number,
): Promise<InlineLoad> {
  const bucket = TIMEFRAME_MS[d.timeframe];
  const from = Math.floor((d.from ?? 0) / bucket) * bucket;
  const to = d.to ?? now;
  const chunks = Math.ceil(trades / TRADES_PER_CHUNK);
  const [rows, candidates, tradeRows] = await withD1(env, 'backtests.inline_load', (db) => {
    const keyed = db
      .select({ h: backtestResults.contentHash })
      .from(backtestResults)
      .where(eq(backtestResults.requestKey, requestKey))
      .orderBy(desc(backtestResults.createdAt))
      .limit(CANDIDATES);
    return db.batch([
      db
        .select(ohlcvColumns)
        .from(bars)
        .where(
          and(
            eq(bars.symbol, d.symbol),
            eq(bars.timeframe, sourceTimeframe(d.timeframe)),
            gte(bars.ts, from),
            lte(bars.ts, to),
          ),
        )
        .orderBy(asc(bars.ts))
        .limit(maxRows),
      db
        .select()
        .from(backtestResults)
        .where(eq(backtestResults.requestKey, requestKey))
        .orderBy(desc(backtestResults.createdAt))
        .limit(CANDIDATES),
      db
        .select({
          contentHash: backtestTrades.contentHash,
          chunk: backtestTrades.chunk,
          trades: backtestTrades.trades,
        })
        .from(backtestTrades)
        .where(and(inArray(backtestTrades.contentHash, keyed), lt(backtestTrades.chunk, chunks)))
        .orderBy(asc(backtestTrades.chunk)),
    ]);
  });
  return { series: seriesFromRows(rows), candidates, tradeRows };
}

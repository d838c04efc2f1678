import { type SQL, sql } from 'drizzle-orm';
import type { TimedBar } from '../../engine/market/bar-merge';
import { DAY_MS } from '../../engine/stats/periods';
import { withD1 } from '../../platform/d1/d1';
import type { Quote } from '../../schema/contracts/market';
import { bars, quotes } from '../../schema/tables';

/**
 * How a stored bar row absorbs another version of itself (`excluded`), never losing what either
 * knows: high/low widen; open comes from the piece with the earlier first trade and close from
 * the one with the later last trade (a row without trade times — imported, seeded — gives way);
 * volume keeps the larger, because the room always sends a minute's whole volume so far, which
 * also makes a retried flush harmless (a sum would count it twice). SQLite evaluates every SET
 * expression against the row as it was, so the CASEs see the old times.
 */
const MERGE: Record<'open' | 'high' | 'low' | 'close' | 'volume' | 'firstTs' | 'lastTs', SQL> = {
  open: sql`CASE WHEN excluded.first_ts IS NOT NULL AND (${bars.firstTs} IS NULL OR excluded.first_ts < ${bars.firstTs}) THEN excluded.open ELSE ${bars.open} END`,
  firstTs: sql`CASE WHEN excluded.first_ts IS NOT NULL AND (${bars.firstTs} IS NULL OR excluded.first_ts < ${bars.firstTs}) THEN excluded.first_ts ELSE ${bars.firstTs} END`,
  close: sql`CASE WHEN excluded.last_ts IS NOT NULL AND (${bars.lastTs} IS NULL OR excluded.last_ts >= ${bars.lastTs}) THEN excluded.close ELSE ${bars.close} END`,
  lastTs: sql`CASE WHEN excluded.last_ts IS NOT NULL AND (${bars.lastTs} IS NULL OR excluded.last_ts >= ${bars.lastTs}) THEN excluded.last_ts ELSE ${bars.lastTs} END`,
  high: sql`max(${bars.high}, excluded.high)`,
  low: sql`min(${bars.low}, excluded.low)`,
  volume: sql`max(${bars.volume}, excluded.volume)`,
};

/**
 * Writes a room's closed 1-minute bars to D1 in one batch, merging each into its stored row
 * (`MERGE`), re-derives the daily bar of every day touched from that day's stored minute bars
 * (merged the same way), and stores the latest quote. A retried or repeated flush is harmless.
 */
export async function flushBars(
  env: Env,
  symbol: string,
  closed: readonly TimedBar[],
  quote: Quote | null,
): Promise<void> {
  await withD1(env, 'bars.flush', async (db) => {
    const statements = [];
    for (const b of closed) {
      statements.push(
        db
          .insert(bars)
          .values({
            symbol,
            timeframe: '1m',
            ts: b.time,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            volume: b.volume,
            firstTs: b.firstTs,
            lastTs: b.lastTs,
          })
          .onConflictDoUpdate({ target: [bars.symbol, bars.timeframe, bars.ts], set: MERGE }),
      );
    }
    for (const day of new Set(closed.map((b) => Math.floor(b.time / DAY_MS) * DAY_MS))) {
      statements.push(
        db
          .insert(bars)
          .select(dailyFromMinutes(symbol, day))
          .onConflictDoUpdate({ target: [bars.symbol, bars.timeframe, bars.ts], set: MERGE }),
      );
    }
    if (quote) {
      const row = { ...quote, updatedAt: Date.now() };
      statements.push(db.insert(quotes).values(row).onConflictDoUpdate({ target: quotes.symbol, set: row }));
    }
    const [first, ...rest] = statements;
    if (first) await db.batch([first, ...rest]);
  });
}

/**
 * The day's bar as the aggregate of its stored minute bars (open of the earliest trade, close
 * of the latest, extremes, total volume), in the column order of `bars`, to be merged into the
 * stored daily row. Folding deltas into the daily row instead would count a re-flushed minute
 * twice. `HAVING` skips a day without minute bars (an aggregate of no rows is a row of NULLs);
 * ending on it also keeps SQLite from reading `ON CONFLICT` as a join constraint
 * (https://sqlite.org/lang_upsert.html, "Parsing Ambiguity").
 */
function dailyFromMinutes(symbol: string, day: number): SQL {
  const end = day + DAY_MS;
  const minutes = sql`FROM bars WHERE symbol = ${symbol} AND timeframe = '1m' AND ts >= ${day} AND ts < ${end}`;
  return sql`SELECT ${symbol}, '1d', ${day},
      (SELECT open ${minutes} ORDER BY coalesce(first_ts, ts) ASC, ts ASC LIMIT 1),
      max(high), min(low),
      (SELECT close ${minutes} ORDER BY coalesce(last_ts, ts + 59999) DESC, ts DESC LIMIT 1),
      sum(volume), min(coalesce(first_ts, ts)), max(coalesce(last_ts, ts + 59999))
    ${minutes} HAVING count(*) > 0`;
}

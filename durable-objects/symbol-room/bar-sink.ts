import { sql } from 'drizzle-orm';
import type { OhlcvRow } from '../../engine/data/bars';
import type { Quote } from '../../schema/contracts/market';
import { bars, quotes } from '../../schema/tables';
import { withD1 } from '../../workers/services/d1';

const DAY = 86_400_000;

/**
 * Writes a room's closed 1-minute bars to D1 in one batch, folds them into the day's daily bar
 * (upsert: high/low widen, close moves, volume adds), and stores the latest quote.
 * Upserts make a retried flush harmless.
 */
export async function flushBars(
  env: Env,
  symbol: string,
  closed: OhlcvRow[],
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
          })
          .onConflictDoUpdate({
            target: [bars.symbol, bars.timeframe, bars.ts],
            set: { high: b.high, low: b.low, close: b.close, volume: b.volume },
          }),
      );
    }
    for (const d of dailyDeltas(closed)) {
      statements.push(
        db
          .insert(bars)
          .values({
            symbol,
            timeframe: '1d',
            ts: d.time,
            open: d.open,
            high: d.high,
            low: d.low,
            close: d.close,
            volume: d.volume,
          })
          .onConflictDoUpdate({
            target: [bars.symbol, bars.timeframe, bars.ts],
            set: {
              high: sql`max(${bars.high}, ${d.high})`,
              low: sql`min(${bars.low}, ${d.low})`,
              close: d.close,
              volume: sql`${bars.volume} + ${d.volume}`,
            },
          }),
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

function dailyDeltas(closed: OhlcvRow[]): OhlcvRow[] {
  const out: OhlcvRow[] = [];
  for (const b of closed) {
    const day = Math.floor(b.time / DAY) * DAY;
    const last = out.at(-1);
    if (last && last.time === day) {
      last.high = Math.max(last.high, b.high);
      last.low = Math.min(last.low, b.low);
      last.close = b.close;
      last.volume += b.volume;
    } else out.push({ ...b, time: day });
  }
  return out;
}

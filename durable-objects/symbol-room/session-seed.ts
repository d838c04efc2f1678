import { and, desc, eq } from 'drizzle-orm';
import type { OhlcvRow } from '../../engine/data/bars';
import { DAY_MS } from '../../engine/stats/periods';
import { withD1 } from '../../platform/d1/d1';
import { bars, ohlcvColumns } from '../../schema/tables';

/**
 * The stored daily bars a new room starts its session figures from: today's bar (open, high,
 * low, volume so far) and the previous one (its close is `prevClose`). Without them a fresh
 * room would report no change on the day until a day had passed. A failure leaves the figures
 * to fill in from live ticks.
 */
export async function loadSessionBars(
  env: Env,
  symbol: string,
  now: number,
): Promise<{ previous: OhlcvRow | null; today: OhlcvRow | null }> {
  try {
    const [a, b] = await withD1(env, 'bars.session', (db) =>
      db
        .select(ohlcvColumns)
        .from(bars)
        .where(and(eq(bars.symbol, symbol), eq(bars.timeframe, '1d')))
        .orderBy(desc(bars.ts))
        .limit(2)
        .all(),
    );
    const todayStart = Math.floor(now / DAY_MS) * DAY_MS;
    const today = a && a.time === todayStart ? a : null;
    return { today, previous: (today ? b : a) ?? null };
  } catch {
    return { previous: null, today: null };
  }
}

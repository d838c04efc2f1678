import { and, desc, eq } from 'drizzle-orm';
import type { OhlcvRow } from '../../engine/data/bars';
import type { Channel, SnapshotFrame } from '../../schema/contracts/stream';
import { bars, ohlcvColumns } from '../../schema/tables';
import { withD1 } from '../../workers/services/d1';
import type { RoomSnapshot } from '../symbol-room/symbol-room';

/**
 * A snapshot frame: the room's live state plus the last `count` closed 1-minute bars (D1, merged
 * with closed bars the room has not flushed yet). If D1 fails the snapshot still goes out, with the
 * bars the room holds: live data matters more than history.
 */
export async function buildSnapshot(
  env: Env,
  symbol: string,
  room: RoomSnapshot,
  opts: { channels: Channel[]; count: number; reset: boolean },
): Promise<Omit<SnapshotFrame, 'type'>> {
  let stored: OhlcvRow[] = [];
  if (opts.count > 0) {
    stored = await withD1(env, 'bars.snapshot', (db) =>
      db
        .select(ohlcvColumns)
        .from(bars)
        .where(and(eq(bars.symbol, symbol), eq(bars.timeframe, '1m')))
        .orderBy(desc(bars.ts))
        .limit(opts.count),
    ).catch(() => []);
  }
  const byTime = new Map<number, OhlcvRow>();
  for (const b of stored) byTime.set(b.time, b);
  for (const b of room.unflushed) byTime.set(b.time, b);
  const merged = [...byTime.values()].sort((a, b) => a.time - b.time);
  const q = room.quote;
  return {
    symbol,
    seq: room.seq,
    st: room.st,
    reset: opts.reset,
    channels: opts.channels,
    quote: q
      ? {
          last: q.last,
          lastSize: q.lastSize,
          bid: q.bid,
          bidSize: q.bidSize,
          ask: q.ask,
          askSize: q.askSize,
          ts: q.ts,
          dayOpen: q.dayOpen,
          dayHigh: q.dayHigh,
          dayLow: q.dayLow,
          dayVolume: q.dayVolume,
          prevClose: q.prevClose,
        }
      : null,
    bars: opts.count > 0 ? merged.slice(-opts.count) : [],
    forming: room.forming,
  };
}

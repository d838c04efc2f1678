import { and, desc, eq } from 'drizzle-orm';
import type { OhlcvRow } from '../../engine/data/bars';
import { withD1 } from '../../platform/d1/d1';
import { type Channel, type SnapshotFrame, STREAM_LIMITS } from '../../schema/contracts/stream';
import { bars, ohlcvColumns } from '../../schema/tables';
import type { RoomSnapshot } from '../symbol-room/client';

/** Stored bars are read in one of these depths, so clients asking 1…500 bars share reads. */
const READ_DEPTHS = [30, 100, STREAM_LIMITS.maxSnapshotBars] as const;
/** How long a read is shared; the key (below) already changes whenever the room flushes bars. */
const SHARE_MS = 1_000;
/** Reads remembered per isolate (symbol × depth × room bar state); the oldest go first. */
const MAX_SHARED = 256;

interface SharedRead {
  at: number;
  rows: Promise<OhlcvRow[]>;
}
const shared = new Map<string, SharedRead>();

/**
 * The last `depth` stored 1-minute bars of `symbol`, one D1 read shared by every snapshot of the
 * same symbol, depth and room bar state within `SHARE_MS` (concurrent requests join the read in
 * flight). The key holds the room's forming bar and unflushed bars: a flush between a shared read
 * and a later room snapshot would otherwise leave a bar in neither, and a flush always changes them.
 */
function storedBars(env: Env, symbol: string, depth: number, room: RoomSnapshot): Promise<OhlcvRow[]> {
  const u = room.unflushed;
  const key = `${symbol}|${depth}|${room.forming?.time ?? ''}|${u.length}|${u[0]?.time ?? ''}|${u.at(-1)?.time ?? ''}`;
  const now = Date.now();
  const hit = shared.get(key);
  if (hit && now - hit.at < SHARE_MS) return hit.rows;
  if (hit) shared.delete(key);
  const rows = withD1(env, 'bars.snapshot', (db) =>
    db
      .select(ohlcvColumns)
      .from(bars)
      .where(and(eq(bars.symbol, symbol), eq(bars.timeframe, '1m')))
      .orderBy(desc(bars.ts))
      .limit(depth),
  );
  const entry: SharedRead = { at: now, rows };
  shared.set(key, entry);
  // A failed read is not shared beyond the requests already waiting on it.
  rows.catch(() => {
    if (shared.get(key) === entry) shared.delete(key);
  });
  for (const k of shared.keys()) {
    if (shared.size <= MAX_SHARED) break;
    shared.delete(k);
  }
  return rows;
}

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
    const depth = READ_DEPTHS.find((d) => d >= opts.count) ?? STREAM_LIMITS.maxSnapshotBars;
    stored = (await storedBars(env, symbol, depth, room).catch(() => [])).slice(0, opts.count);
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

import { z } from 'zod';
import { mergeBars, type TimedBar } from '../../engine/market/bar-merge';
import { MarketMessage } from '../../schema/contracts/stream';

/** A bar as the room stores it (its forming bar, its recent closed bars). */
export const StoredBar = z.object({
  time: z.number(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
  // Absent in bars persisted before trade times were kept: then the bar's own minute stands in.
  firstTs: z.number().optional(),
  lastTs: z.number().optional(),
});

/** A stored bar with its trade times (older rows get their minute's start and end). */
export function timedBar(raw: z.infer<typeof StoredBar>): TimedBar {
  return { ...raw, firstTs: raw.firstTs ?? raw.time, lastTs: raw.lastTs ?? raw.time + 59_999 };
}

/** A closed bar waiting for D1, with the version the flush read (see {@link RoomStore.markFlushed}). */
export interface PendingBar {
  bar: TimedBar;
  version: number;
}

/**
 * The room's own SQLite storage (synchronous, transactional with the object's execution):
 * the sequence counter, source ids already seen (idempotent ingest), the message log that
 * resume replays from, and the recent closed 1-minute bars: those waiting to be flushed to D1 and
 * those a late trade may still be merged into (kept for the lateness window, then pruned).
 */
export class RoomStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS seen (source_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS seen_at ON seen(at)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, st INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
    // `pending` = 1 while D1 lacks the bar's latest version; `version` grows with every merge so a
    // flush that raced a late trade leaves the bar pending.
    sql.exec(
      `CREATE TABLE IF NOT EXISTS closed_bars (ts INTEGER PRIMARY KEY, body TEXT NOT NULL,
         pending INTEGER NOT NULL, version INTEGER NOT NULL)`,
    );
    sql.exec(`CREATE INDEX IF NOT EXISTS closed_bars_pending ON closed_bars(pending, ts)`);
    // Rooms created before closed_bars kept unflushed bars in pending_bars: carry them over once.
    const legacy = sql
      .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'pending_bars'`)
      .one().n;
    if (legacy > 0) {
      for (const r of sql.exec<{ body: string }>(`SELECT body FROM pending_bars`).toArray()) {
        const bar = StoredBar.safeParse(JSON.parse(r.body));
        if (bar.success) this.mergeClosedBar(timedBar(bar.data));
      }
      sql.exec(`DROP TABLE pending_bars`);
    }
  }

  getMeta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0];
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    );
  }

  /** Whether a source id was recorded in the retention window (a redelivery). */
  wasSeen(sourceId: string): boolean {
    return this.sql.exec(`SELECT 1 FROM seen WHERE source_id = ?`, sourceId).toArray().length > 0;
  }

  /** Records a source id; false when it was seen before (a redelivery). */
  markSeen(sourceId: string, at: number): boolean {
    // RETURNING yields a row only when the insert happened (rowsWritten also counts index writes).
    const inserted = this.sql.exec(
      `INSERT INTO seen (source_id, at) VALUES (?, ?) ON CONFLICT(source_id) DO NOTHING RETURNING source_id`,
      sourceId,
      at,
    );
    return inserted.toArray().length > 0;
  }

  appendMessage(m: MarketMessage): void {
    this.sql.exec(`INSERT INTO messages (seq, st, body) VALUES (?, ?, ?)`, m.seq, m.st, JSON.stringify(m));
  }

  /** Messages with seq > `after`, ascending, at most `limit`. */
  messagesAfter(after: number, limit: number): MarketMessage[] {
    return this.sql
      .exec<{ body: string }>(`SELECT body FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
      .toArray()
      .map((r) => MarketMessage.parse(JSON.parse(r.body)));
  }

  oldestSeq(): number | null {
    const row = this.sql.exec<{ s: number | null }>(`SELECT MIN(seq) AS s FROM messages`).toArray()[0];
    return row?.s ?? null;
  }

  /** The closed bar of `minute`, if the room still holds it. */
  closedBar(minute: number): TimedBar | null {
    const row = this.sql
      .exec<{ body: string }>(`SELECT body FROM closed_bars WHERE ts = ?`, minute)
      .toArray()[0];
    return row ? timedBar(StoredBar.parse(JSON.parse(row.body))) : null;
  }

  /**
   * Merges a closed bar (or a late piece of one) into the bar held for its minute and marks it
   * for flushing; returns the merged bar. Never replaces: a second close of the same minute
   * (a late trade, a restart) adds to what is there.
   */
  mergeClosedBar(piece: TimedBar): TimedBar {
    const held = this.closedBar(piece.time);
    const bar = held ? mergeBars(held, piece) : piece;
    this.sql.exec(
      `INSERT INTO closed_bars (ts, body, pending, version) VALUES (?, ?, 1, 1)
       ON CONFLICT(ts) DO UPDATE SET body = excluded.body, pending = 1, version = closed_bars.version + 1`,
      bar.time,
      JSON.stringify(bar),
    );
    return bar;
  }

  /** Closed bars D1 does not have yet (oldest first), with the versions read. */
  pendingBars(limit: number): PendingBar[] {
    return this.sql
      .exec<{ body: string; version: number }>(
        `SELECT body, version FROM closed_bars WHERE pending = 1 ORDER BY ts LIMIT ?`,
        limit,
      )
      .toArray()
      .map((r) => ({ bar: timedBar(StoredBar.parse(JSON.parse(r.body))), version: r.version }));
  }

  /** Marks flushed bars as stored, unless a late trade changed them while the flush ran. */
  markFlushed(flushed: readonly PendingBar[]): void {
    for (const p of flushed) {
      this.sql.exec(`UPDATE closed_bars SET pending = 0 WHERE ts = ? AND version = ?`, p.bar.time, p.version);
    }
  }

  /** Drops flushed bars older than `before`: no trade that late is accepted any more. */
  pruneClosedBars(before: number): void {
    this.sql.exec(`DELETE FROM closed_bars WHERE pending = 0 AND ts < ?`, before);
  }

  /** Keeps the last `keepMessages` messages and the source ids of the last `seenMs`. */
  prune(keepMessages: number, seenBefore: number): void {
    this.sql.exec(`DELETE FROM messages WHERE seq <= (SELECT MAX(seq) FROM messages) - ?`, keepMessages);
    this.sql.exec(`DELETE FROM seen WHERE at < ?`, seenBefore);
  }
}

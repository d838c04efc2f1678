import { z } from 'zod';
import type { OhlcvRow } from '../../engine/data/bars';
import { MarketMessage } from '../../schema/contracts/stream';

/** A bar as the room stores it (its forming bar, bars waiting for D1). */
export const StoredBar = z.object({
  time: z.number(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});

/**
 * The room's own SQLite storage (synchronous, transactional with the object's execution):
 * the sequence counter, source ids already seen (idempotent ingest), the message log that
 * resume replays from, and closed bars waiting to be flushed to D1.
 */
export class RoomStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS seen (source_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS seen_at ON seen(at)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, st INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS pending_bars (ts INTEGER PRIMARY KEY, body TEXT NOT NULL)`);
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

  addPendingBar(bar: OhlcvRow): void {
    this.sql.exec(
      `INSERT INTO pending_bars (ts, body) VALUES (?, ?) ON CONFLICT(ts) DO UPDATE SET body = excluded.body`,
      bar.time,
      JSON.stringify(bar),
    );
  }

  pendingBars(limit: number): OhlcvRow[] {
    return this.sql
      .exec<{ body: string }>(`SELECT body FROM pending_bars ORDER BY ts LIMIT ?`, limit)
      .toArray()
      .map((r): OhlcvRow => StoredBar.parse(JSON.parse(r.body)));
  }

  removePendingBars(upToTs: number): void {
    this.sql.exec(`DELETE FROM pending_bars WHERE ts <= ?`, upToTs);
  }

  /** Keeps the last `keepMessages` messages and the source ids of the last `seenMs`. */
  prune(keepMessages: number, seenBefore: number): void {
    this.sql.exec(`DELETE FROM messages WHERE seq <= (SELECT MAX(seq) FROM messages) - ?`, keepMessages);
    this.sql.exec(`DELETE FROM seen WHERE at < ?`, seenBefore);
  }
}

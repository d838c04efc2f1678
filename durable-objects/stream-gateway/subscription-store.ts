/**
 * Subscriptions of a gateway's sockets in the gateway's own SQLite, keyed by connection id, so
 * they survive hibernation (socket attachments are too small to hold them).
 */
export class SubscriptionStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      `CREATE TABLE IF NOT EXISTS subs (conn TEXT NOT NULL, symbol TEXT NOT NULL, mask INTEGER NOT NULL, PRIMARY KEY (conn, symbol))`,
    );
  }

  set(conn: string, symbol: string, mask: number): void {
    this.sql.exec(
      `INSERT INTO subs (conn, symbol, mask) VALUES (?, ?, ?) ON CONFLICT(conn, symbol) DO UPDATE SET mask = excluded.mask`,
      conn,
      symbol,
      mask,
    );
  }

  remove(conn: string, symbol: string): void {
    this.sql.exec(`DELETE FROM subs WHERE conn = ? AND symbol = ?`, conn, symbol);
  }

  removeConn(conn: string): void {
    this.sql.exec(`DELETE FROM subs WHERE conn = ?`, conn);
  }

  /** Every row, grouped by connection id. */
  all(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const r of this.sql.exec<{ conn: string; symbol: string; mask: number }>(
      `SELECT conn, symbol, mask FROM subs`,
    )) {
      let m = out.get(r.conn);
      if (!m) {
        m = new Map();
        out.set(r.conn, m);
      }
      m.set(r.symbol, r.mask);
    }
    return out;
  }

  /** Deletes rows of connections that no longer exist (closed while the object was gone). */
  retain(live: Set<string>): void {
    for (const conn of this.all().keys()) if (!live.has(conn)) this.removeConn(conn);
  }
}

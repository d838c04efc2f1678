import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { config } from '../../platform/config';
import { reportBackgroundError } from '../../platform/sentry';

/** What a ticket stands for: the key that asked for it (never the key itself). */
export const TicketGrant = z.object({
  keyId: z.string(),
  /** SHA-256 of the key: its revocation tombstone is found by it while D1 fails. */
  keyHash: z.string(),
  scopes: z.array(z.string()),
  tier: z.enum(['standard', 'high']),
});
export type TicketGrant = z.infer<typeof TicketGrant>;

const SWEEP_MS = 60_000;

/**
 * Single-use WebSocket tickets for browsers. KV is eventually consistent and cannot consume a
 * value atomically, so tickets live here: one object per ticket prefix (shard), where a redeem
 * is a single `DELETE … RETURNING` in a single-threaded object, so a ticket works at most once.
 * Only the SHA-256 of a ticket is stored.
 */
export class StreamTickets extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, body TEXT NOT NULL, expires_at INTEGER NOT NULL)`,
    );
  }

  /** Stores a ticket hash valid until `expiresAt` (epoch ms). */
  async issue(hash: string, grant: TicketGrant, expiresAt: number): Promise<void> {
    this.ctx.storage.sql.exec(
      `INSERT INTO tickets (hash, body, expires_at) VALUES (?, ?, ?)`,
      hash,
      JSON.stringify(grant),
      expiresAt,
    );
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_MS);
  }

  /** Consumes a ticket: its grant if it exists and has not expired, else null. A second redeem always fails. */
  async redeem(hash: string): Promise<TicketGrant | null> {
    const row = this.ctx.storage.sql
      .exec<{ body: string; expires_at: number }>(
        `DELETE FROM tickets WHERE hash = ? RETURNING body, expires_at`,
        hash,
      )
      .toArray()[0];
    if (!row || row.expires_at < Date.now()) return null;
    // The Worker still checks the grant's key against D1 (or its tombstone) before it is honoured.
    let body: unknown;
    try {
      body = JSON.parse(row.body);
    } catch (err) {
      // Only this object writes the rows: an unreadable one is a bug, refused and reported.
      reportBackgroundError(this.env, err, {
        component: 'stream-tickets',
        name: 'redeem',
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
      return null;
    }
    const parsed = TicketGrant.safeParse(body);
    return parsed.success ? parsed.data : null;
  }

  /** Sweeps expired tickets; re-arms while any remain. */
  override async alarm(): Promise<void> {
    try {
      this.ctx.storage.sql.exec(`DELETE FROM tickets WHERE expires_at < ?`, Date.now());
      const left =
        this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM tickets`).toArray()[0]?.n ?? 0;
      if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SWEEP_MS);
    } catch (err) {
      reportBackgroundError(this.env, err, {
        component: 'stream-tickets',
        name: 'alarm',
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
      // Rethrown so the runtime retries the alarm.
      throw err;
    }
  }
}

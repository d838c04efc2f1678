import { DurableObject } from 'cloudflare:workers';
import { config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { Bucket } from '../../platform/token-bucket';
import { gatewayFor } from '../stream-gateway/client';

/**
 * What `acquire` answers: the first `granted` sockets got a slot; the key's open sockets after.
 * The others were refused for `refused`: the key's connect rate (`retryAfter` seconds until one
 * more connect is allowed) or its open-socket limit.
 */
export interface SlotGrant {
  granted: number;
  open: number;
  limit: number;
  refused?: 'connect_rate' | 'open_sockets';
  retryAfter?: number;
}

/**
 * Entries younger than this are never reconciled away: the gateway that took the slot may still be
 * finishing the upgrade (it registers before it accepts), so "not held yet" is not "gone".
 */
const RECONCILE_MIN_AGE_MS = 30_000;
/** At most one reconciliation per key in this interval (it wakes the key's gateways). */
const RECONCILE_EVERY_MS = 30_000;

/**
 * The open stream sockets of one API key (`key:<id>`), across every gateway shard, for the
 * per-key concurrent-socket limit (docs/streaming.md, "Limits"). A gateway asks for a slot before
 * it accepts a socket (`acquire`) and gives it back when the socket goes (`release`, batched);
 * nothing is asked per message. Slots live in the object's SQLite, so an eviction forgets
 * nothing; the count is kept in memory after the first read.
 *
 * A slot can outlive its socket only if a gateway lost a socket without seeing it close (a crash
 * or restart) or a release failed. Such slots cannot lock a key out: when a key is at its limit,
 * the object asks the gateways holding its older slots which of them they still hold (at most
 * once per 30 s) and frees the rest before it refuses.
 */
export class KeySockets extends DurableObject<Env> {
  #count: number | null = null;
  #reconciledAt = 0;
  /** The key's connects, refilled at its tier's rate per minute (stored, so an eviction forgets nothing). */
  #connects: Bucket | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS slots (conn TEXT PRIMARY KEY, gateway TEXT NOT NULL, at INTEGER NOT NULL)',
    );
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS connects (id INTEGER PRIMARY KEY CHECK (id = 1), per_minute INTEGER NOT NULL, tokens REAL NOT NULL, at INTEGER NOT NULL)',
    );
  }

  /** The connect bucket for `perMinute` (a changed tier starts a full bucket of the new size). */
  #bucket(perMinute: number): Bucket {
    if (this.#connects?.burst === perMinute) return this.#connects;
    const row = this.ctx.storage.sql
      .exec<{ per_minute: number; tokens: number; at: number }>('SELECT per_minute, tokens, at FROM connects')
      .toArray()[0];
    this.#connects =
      row && row.per_minute === perMinute
        ? new Bucket(perMinute / 60, perMinute, row.tokens, row.at)
        : new Bucket(perMinute / 60, perMinute);
    return this.#connects;
  }

  #open(): number {
    this.#count ??= Number(this.ctx.storage.sql.exec('SELECT count(*) AS n FROM slots').one().n);
    return this.#count;
  }

  /**
   * Takes slots for sockets `conns` on `gateway`, in order: each is a connect, charged to the
   * key's connect rate (`connectsPerMinute`, when given: every upgrade, refused ones too), and
   * gets a slot while the key holds fewer than `limit`. The first `granted` got one (a gateway
   * sends the upgrades of one key that arrived while its previous call was in flight as one call,
   * so a storm costs a few calls, not one each). Acquiring a socket's slot again is harmless.
   * Counting connects here rather than with a rate-limit binding in the Worker saves every upgrade
   * a subrequest, and the count is exact: one object per key sees all of its connects.
   */
  async acquire(
    conns: string[],
    gateway: string,
    limit: number,
    connectsPerMinute?: number,
  ): Promise<SlotGrant> {
    if (this.#open() + conns.length > limit) await this.#reconcile();
    let granted = 0;
    let refused: SlotGrant['refused'];
    const now = Date.now();
    const bucket = connectsPerMinute ? this.#bucket(connectsPerMinute) : null;
    for (const conn of conns) {
      const connectOk = bucket ? bucket.spend(now, 1) : true;
      if (refused) continue; // past the first refusal: charged, not granted
      if (!connectOk) {
        refused = 'connect_rate';
        continue;
      }
      const open = this.#open();
      if (open >= limit) {
        refused = 'open_sockets';
        continue;
      }
      const added = this.ctx.storage.sql.exec(
        'INSERT OR IGNORE INTO slots (conn, gateway, at) VALUES (?, ?, ?)',
        conn,
        gateway,
        now,
      ).rowsWritten;
      this.#count = open + (added > 0 ? 1 : 0);
      granted++;
    }
    if (bucket)
      this.ctx.storage.sql.exec(
        'INSERT INTO connects (id, per_minute, tokens, at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET per_minute = excluded.per_minute, tokens = excluded.tokens, at = excluded.at',
        bucket.burst,
        bucket.tokens,
        bucket.at,
      );
    const grant: SlotGrant = { granted, open: this.#open(), limit };
    if (refused === 'connect_rate' && bucket)
      return { ...grant, refused, retryAfter: Math.max(1, Math.ceil(bucket.wait())) };
    return refused ? { ...grant, refused } : grant;
  }

  /** Frees the slots of sockets that closed (idempotent). */
  async release(conns: string[]): Promise<void> {
    let removed = 0;
    for (const conn of conns)
      removed += this.ctx.storage.sql.exec('DELETE FROM slots WHERE conn = ?', conn).rowsWritten > 0 ? 1 : 0;
    if (this.#count !== null) this.#count = Math.max(0, this.#count - removed);
  }

  /** Open sockets of this key (diagnostics and tests). */
  async open(): Promise<number> {
    return this.#open();
  }

  /** Frees slots whose gateway no longer holds their socket (older ones only; see the class doc). */
  async #reconcile(): Promise<void> {
    const now = Date.now();
    if (now - this.#reconciledAt < RECONCILE_EVERY_MS) return;
    this.#reconciledAt = now;
    const byGateway = new Map<string, string[]>();
    for (const row of this.ctx.storage.sql.exec<{ conn: string; gateway: string }>(
      'SELECT conn, gateway FROM slots WHERE at < ?',
      now - RECONCILE_MIN_AGE_MS,
    )) {
      const list = byGateway.get(row.gateway);
      if (list) list.push(row.conn);
      else byGateway.set(row.gateway, [row.conn]);
    }
    const stale: string[] = [];
    await Promise.all(
      [...byGateway].map(async ([gateway, conns]) => {
        try {
          const held = new Set(await gatewayFor(this.env, gateway).holds(conns));
          for (const c of conns) if (!held.has(c)) stale.push(c);
        } catch (err) {
          // A gateway that cannot answer keeps its slots: refusing is safer than over-admitting.
          createLogger({ keySockets: this.ctx.id.name ?? '' }).warn('slot reconciliation failed', {
            gateway,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }),
    );
    if (stale.length > 0) await this.release(stale);
  }
}

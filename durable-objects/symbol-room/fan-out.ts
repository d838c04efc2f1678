import { createLogger } from '../../platform/logger';
import type { WireMessage } from '../../schema/contracts/stream';
import { gatewayFor, type StreamGateway } from '../stream-gateway/client';

/**
 * The gateways (fan-out shards) that hold subscribers of one room's symbol. The set lives in the
 * room's SQLite so that it survives eviction and restarts: a gateway registers once, and the room
 * pushes every batch to it once, however many sockets the gateway serves.
 */
/** Messages waiting for a gateway while a push to it is in flight; past this the oldest go (the gateway refills gaps from `replay`). */
const MAX_QUEUED = 10_000;

export class GatewayRegistry {
  readonly #stubs = new Map<string, DurableObjectStub<StreamGateway>>();
  readonly #names = new Set<string>();
  /** Per gateway: whether a push is in flight, and what arrived meanwhile. */
  readonly #flight = new Map<string, { busy: boolean; queued: WireMessage[] }>();
  /** Per gateway: attach calls seen, so that a stale "not wanted" answer is ignored. */
  readonly #attached = new Map<string, number>();
  #attachCount = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS gateways (name TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    for (const row of sql.exec<{ name: string }>(`SELECT name FROM gateways`)) this.#names.add(row.name);
  }

  get names(): string[] {
    return [...this.#names];
  }

  add(name: string): void {
    // A push answered "not wanted" after this attach must not undo it (see `#send`).
    this.#attached.set(name, ++this.#attachCount);
    if (this.#names.has(name)) return;
    this.#names.add(name);
    this.sql.exec(
      `INSERT INTO gateways (name, at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`,
      name,
      Date.now(),
    );
  }

  remove(name: string): void {
    if (!this.#names.delete(name)) return;
    this.sql.exec(`DELETE FROM gateways WHERE name = ?`, name);
    this.#stubs.delete(name);
    this.#flight.delete(name);
    this.#attached.delete(name);
  }

  /**
   * Pushes one batch to every registered gateway without waiting: a slow gateway never stalls the
   * room. At most one push per gateway is in flight; batches sequenced meanwhile are merged into the
   * next push, so under load each gateway (and each of its sockets) gets fewer, larger frames instead
   * of a growing queue, and with no load every batch goes out at once (adaptive batching, no timers).
   * A failed push drops the stub (a broken stub stays broken,
   * https://developers.cloudflare.com/durable-objects/api/stub/); the gateway refills gaps from `replay`.
   */
  push(symbol: string, batch: WireMessage[]): void {
    for (const name of this.#names) {
      let f = this.#flight.get(name);
      if (!f) {
        f = { busy: false, queued: [] };
        this.#flight.set(name, f);
      }
      if (f.busy) {
        f.queued.push(...batch);
        if (f.queued.length > MAX_QUEUED) f.queued.splice(0, f.queued.length - MAX_QUEUED);
      } else this.#send(name, symbol, batch, f);
    }
  }

  #send(
    name: string,
    symbol: string,
    batch: WireMessage[],
    f: { busy: boolean; queued: WireMessage[] },
  ): void {
    f.busy = true;
    const epoch = this.#attached.get(name) ?? 0;
    this.#stub(name)
      .deliver(name, symbol, batch)
      .then((wanted) => {
        if (!wanted && (this.#attached.get(name) ?? 0) === epoch) this.remove(name);
      })
      .catch((err: unknown) => {
        this.#stubs.delete(name);
        createLogger({ room: symbol, gateway: name }).warn('gateway push failed', { error: String(err) });
      })
      .finally(() => {
        f.busy = false;
        if (f.queued.length > 0 && this.#flight.get(name) === f) {
          const next = f.queued;
          f.queued = [];
          this.#send(name, symbol, next, f);
        }
      });
  }

  #stub(name: string): DurableObjectStub<StreamGateway> {
    let stub = this.#stubs.get(name);
    if (!stub) {
      stub = gatewayFor(this.env, name);
      this.#stubs.set(name, stub);
    }
    return stub;
  }
}

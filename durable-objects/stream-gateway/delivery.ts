import { recordWsConflation, recordWsDelivery, recordWsMessage } from '../../platform/metrics/events';
import type { WireMessage } from '../../schema/contracts/stream';
import type { ReplayResult } from '../symbol-room/client';
import { type Connection, FLOW, inMask } from './connection';
import { conflatedFrame, dataFrame } from './frames';

/** What delivery needs from its gateway: the socket side and the rooms. */
export interface DeliveryHost {
  /** Sends a frame; false when the socket is gone (the gateway drops it). */
  send(conn: Connection, frame: string, record?: boolean): boolean;
  /** Closes a socket that stayed behind too long (4009). */
  closeSlow(conn: Connection): void;
  /** The room's messages after `after`, to fill a gap in what it pushed. */
  replay(symbol: string, after: number): Promise<ReplayResult>;
  warn(message: string, fields: Record<string, unknown>): void;
}

/**
 * A gateway's live delivery: which of its sockets want each symbol, the batches rooms push (in
 * seq order, gaps filled from the room), one frame per socket per batch built once per channel
 * set, live messages held while a socket's snapshot or replay is sent, and conflation for sockets
 * behind on acks. Subscribe, resume and the socket lifecycle stay in the gateway.
 */
export class Delivery {
  /** Sockets per symbol. */
  readonly bySymbol = new Map<string, Set<Connection>>();
  /** Highest seq fanned out per symbol, to drop duplicates and notice gaps. */
  readonly #lastSeq = new Map<string, number>();
  /** Per symbol, the tail of deliveries waiting behind a gap fill, so order is kept. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(private readonly host: DeliveryHost) {}

  /** Adds a socket to a symbol's set; true when the symbol is new to this gateway. */
  add(conn: Connection, symbol: string): boolean {
    const set = this.bySymbol.get(symbol);
    if (set) {
      set.add(conn);
      return false;
    }
    this.bySymbol.set(symbol, new Set([conn]));
    return true;
  }

  /** Removes a socket from a symbol's set; true when no socket here wants the symbol any more. */
  remove(conn: Connection, symbol: string): boolean {
    const set = this.bySymbol.get(symbol);
    set?.delete(conn);
    if (!set || set.size > 0) return false;
    this.bySymbol.delete(symbol);
    this.#lastSeq.delete(symbol);
    return true;
  }

  /** Where live delivery of a newly attached symbol starts (the room's seq at attach). */
  startAt(symbol: string, seq: number): void {
    if (!this.#lastSeq.has(symbol)) this.#lastSeq.set(symbol, seq);
  }

  /**
   * One batch a room pushed. False when no socket here wants the symbol (the room forgets this
   * gateway); `settled` runs once a batch that had to wait for a gap fill went out.
   */
  deliver(symbol: string, batch: WireMessage[], settled: () => void): boolean {
    const set = this.bySymbol.get(symbol);
    if (!set || set.size === 0) return false;
    const first = batch[0];
    if (!first) return true;
    const chain = this.#chains.get(symbol);
    const last = this.#lastSeq.get(symbol);
    if (!chain && (last === undefined || first.seq <= last + 1)) {
      this.#fanOut(symbol, batch);
      return true;
    }
    // A gap (a lost push, a replaced stub) or a fill already running: fill from the room, in order.
    const next = (chain ?? Promise.resolve())
      .then(() => this.#fillGap(symbol, first.seq))
      .then(() => this.#fanOut(symbol, batch))
      .catch((err: unknown) => this.host.warn('gap fill failed', { symbol, error: String(err) }));
    this.#chains.set(symbol, next);
    void next.finally(() => {
      if (this.#chains.get(symbol) === next) this.#chains.delete(symbol);
      settled();
    });
    return true;
  }

  /** Ends the hold on live messages for `symbol` once the snapshot or replay up to `seq` was sent. */
  synced(conn: Connection, symbol: string, seq: number): void {
    const held = conn.syncing.get(symbol) ?? [];
    conn.syncing.delete(symbol);
    conn.floor.set(symbol, seq);
    const after = held.filter((m) => m.seq > seq);
    const mask = conn.subs.get(symbol);
    if (after.length > 0 && mask) this.#deliverTo(conn, symbol, after, mask);
  }

  /** An ack: once the socket is back under its window, what was conflated goes out as one frame. */
  acked(conn: Connection, frames: number): void {
    conn.acked(frames);
    if (conn.pending.size === 0 || conn.behind) return;
    const latest = [...conn.pending.values()].sort((a, b) =>
      a.symbol === b.symbol ? a.seq - b.seq : a.symbol < b.symbol ? -1 : 1,
    );
    conn.pending.clear();
    // Messages superseded while the socket was behind (the latest per symbol/channel is sent).
    if (conn.skipped > latest.length) recordWsConflation(conn.skipped - latest.length);
    conn.skipped = 0;
    conn.behindSince = null;
    const frame = conflatedFrame(latest);
    if (this.host.send(conn, frame)) conn.sent(frame.length);
  }

  async #fillGap(symbol: string, upTo: number): Promise<void> {
    const last = this.#lastSeq.get(symbol);
    if (last === undefined || upTo <= last + 1) return;
    const r = await this.host.replay(symbol, last);
    if (r.kind === 'messages')
      this.#fanOut(
        symbol,
        r.messages.filter((m) => m.seq < upTo),
      );
    // Too old to replay: skip ahead; each socket's client notices the seq jump and resumes itself.
    else this.#lastSeq.set(symbol, upTo - 1);
  }

  #fanOut(symbol: string, batch: WireMessage[]): void {
    const set = this.bySymbol.get(symbol);
    if (!set) return;
    const last = this.#lastSeq.get(symbol) ?? 0;
    const fresh = (batch[0]?.seq ?? 0) > last ? batch : batch.filter((m) => m.seq > last);
    const top = fresh.at(-1);
    if (!top) return;
    this.#lastSeq.set(symbol, top.seq);
    // Per channel set: the selected messages and their frame, built once for all sockets.
    const byMask = new Map<number, { selected: WireMessage[]; frame: string }>();
    let sent = 0;
    for (const conn of set) {
      const mask = conn.subs.get(symbol);
      if (!mask) continue;
      const held = conn.syncing.get(symbol);
      if (held) {
        held.push(...fresh);
        continue;
      }
      const floor = conn.floor.get(symbol);
      if (floor !== undefined) {
        if (top.seq <= floor) continue;
        if ((fresh[0]?.seq ?? 0) <= floor) {
          this.#deliverTo(
            conn,
            symbol,
            fresh.filter((m) => m.seq > floor),
            mask,
          );
          continue;
        }
        conn.floor.delete(symbol);
      }
      let shared = byMask.get(mask);
      if (!shared) {
        const selected = mask === 7 ? fresh : fresh.filter((m) => inMask(mask, m.ch));
        shared = { selected, frame: selected.length > 0 ? dataFrame(selected) : '' };
        byMask.set(mask, shared);
      }
      if (shared.frame && this.#sendData(conn, symbol, shared.selected, shared.frame, false)) sent++;
    }
    // One metric update per batch, not per socket: at thousands of sockets it is a measurable share.
    if (sent > 0) recordWsMessage('out', sent);
    // Delivery latency once per batch per gateway (not per socket), from its oldest message.
    const oldest = fresh[0];
    if (oldest && [...byMask.values()].some((m) => m.frame !== '')) {
      recordWsDelivery(Math.max(0, Date.now() - oldest.st));
    }
  }

  /** Sends the socket's channels of `messages` as one frame (see `#sendData`). */
  #deliverTo(conn: Connection, symbol: string, messages: WireMessage[], mask: number): void {
    const selected = mask === 7 ? messages : messages.filter((m) => inMask(mask, m.ch));
    if (selected.length > 0) this.#sendData(conn, symbol, selected, dataFrame(selected));
  }

  /** Sends a data frame, or conflates its messages if the socket is behind; true when sent. */
  #sendData(
    conn: Connection,
    symbol: string,
    selected: WireMessage[],
    frame: string,
    record = true,
  ): boolean {
    if (conn.behind || conn.pending.size > 0) {
      for (const m of selected) conn.pending.set(`${symbol}|${m.ch}`, { ...m, symbol });
      conn.skipped += selected.length;
      const now = Date.now();
      conn.behindSince ??= now;
      if (conn.skipped > FLOW.closeAfterSkipped || now - conn.behindSince > FLOW.closeAfterMs) {
        this.host.closeSlow(conn);
      }
      return false;
    }
    if (!this.host.send(conn, frame, record)) return false;
    conn.sent(frame.length);
    return true;
  }
}

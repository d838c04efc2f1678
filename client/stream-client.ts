import {
  type Channel,
  type ErrorFrame,
  ServerFrame,
  type SnapshotFrame,
  STREAM_LIMITS,
  type StreamMessage,
  type Subscriptions,
  type WelcomeFrame,
} from '../schema/contracts/stream';
import { type BackoffOptions, backoffDelay } from './backoff';

// Callback parameters declared bivariantly so that both the browser's WebSocket and Node's `ws`
// (whose event types are richer) satisfy `WebSocketLike`.
type Listener<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WebSocket API the client uses (browser `WebSocket` and the `ws` package both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Listener<unknown> | null;
  onmessage: Listener<{ data: unknown }> | null;
  onclose: Listener<{ code: number; reason: string }> | null;
  onerror: Listener<unknown> | null;
}

/** A WebSocket constructor. The third argument carries headers for Node's `ws`; browsers ignore it. */
export type WebSocketFactory = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamClientOptions {
  /** `wss://host/api/v1/stream` (or `ws://` locally). */
  url: string;
  /** Bots and servers: an API key with `read` scope, sent in the Authorization header (needs a constructor that takes headers, such as `ws`). */
  apiKey?: string;
  /** Browsers: returns a fresh single-use ticket (from `POST /api/v1/stream/ticket`) for each connection attempt. */
  getTicket?: () => Promise<string>;
  /** Defaults to `globalThis.WebSocket`; pass `ws`'s `WebSocket` in Node. */
  WebSocket?: WebSocketFactory;
  backoff?: BackoffOptions;
  /** Closed 1-minute bars in each snapshot (default 30). */
  snapshotBars?: number;
  /** Events buffered for async iteration before the oldest are dropped (default 10,000). */
  maxBuffered?: number;
}

/** Everything the client reports, for callbacks and async iteration alike. */
export type StreamEvent =
  | { type: 'message'; message: StreamMessage }
  | { type: 'snapshot'; snapshot: SnapshotFrame }
  | { type: 'gap'; symbol: string; expected: number; received: number }
  | { type: 'error'; error: ErrorFrame }
  | { type: 'state'; state: ConnectionState; code?: number; reason?: string };

type EventOf<K extends StreamEvent['type']> = Extract<StreamEvent, { type: K }>;

const OPEN = 1;
const ALL: Channel[] = ['trades', 'quotes', 'bars'];
/** More symbols than one socket may hold go as frames (the gateway answers the excess `too_many_subscriptions`). */
const MAX_URL_SYMBOLS = STREAM_LIMITS.maxSymbols;
/** Close codes after which reconnecting cannot help unless credentials change. */
const FATAL = new Set([4001]);

/**
 * A market-data stream client: typed messages, reconnect with jittered exponential backoff,
 * automatic resume from the last seq per symbol, gap detection (a seq jump triggers a resume;
 * an unreplayable gap arrives as a `reset` snapshot), a callback API and an async iterator.
 */
export class StreamClient implements AsyncIterable<StreamEvent> {
  readonly #opts: StreamClientOptions;
  readonly #Ctor: WebSocketFactory;
  readonly #wanted = new Map<string, Set<Channel>>();
  readonly #lastSeq = new Map<string, number>();
  readonly #listeners = new Map<StreamEvent['type'], Set<(e: StreamEvent) => void>>();
  readonly #queue: StreamEvent[] = [];
  readonly #pullers: Array<(r: IteratorResult<StreamEvent>) => void> = [];
  #ws: WebSocketLike | null = null;
  #state: ConnectionState = 'closed';
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #lastFrameAt = 0;
  #welcome: WelcomeFrame | null = null;
  #unacked = 0;
  #unackedBytes = 0;
  /** Data frames after which the next ack goes out (the first one at a random phase, see `#ackEvery`). */
  #ackAt = 1;
  #stopped = false;
  #iterating = false;
  /** The requests this socket's URL carries (answered by the gateway without a frame): one channel set's symbols. */
  #inUrl: { key: string; channels: Channel[]; symbols: Set<string> } | null = null;
  /** The server's view of this socket's subscriptions (from the last acknowledgement). */
  subscriptions: Subscriptions = {};

  constructor(opts: StreamClientOptions) {
    this.#opts = opts;
    const Ctor = opts.WebSocket ?? globalWebSocket();
    if (!Ctor)
      throw new Error(
        'No WebSocket implementation: pass the `WebSocket` option (e.g. from the `ws` package).',
      );
    this.#Ctor = Ctor;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The last seq processed for `symbol` (resume starts after it). */
  lastSeq(symbol: string): number | undefined {
    return this.#lastSeq.get(symbol);
  }

  /** Opens the connection (idempotent); reconnects on its own until `close()`. */
  connect(): this {
    this.#stopped = false;
    if (!this.#ws && !this.#retryTimer) void this.#open();
    return this;
  }

  /** Adds symbols/channels; sent now if connected, and again after every reconnect. */
  subscribe(symbols: string[], channels: Channel[] = ALL): void {
    for (const s of symbols) {
      const set = this.#wanted.get(s) ?? new Set<Channel>();
      for (const c of channels) set.add(c);
      this.#wanted.set(s, set);
    }
    if (this.#isOpen()) this.#send({ type: 'subscribe', symbols, channels, bars: this.#opts.snapshotBars });
  }

  unsubscribe(symbols: string[], channels?: Channel[]): void {
    for (const s of symbols) {
      const set = this.#wanted.get(s);
      if (!set) continue;
      for (const c of channels ?? ALL) set.delete(c);
      if (set.size === 0) {
        this.#wanted.delete(s);
        this.#lastSeq.delete(s);
      }
    }
    if (this.#isOpen()) this.#send({ type: 'unsubscribe', symbols, ...(channels ? { channels } : {}) });
  }

  /** Registers a callback; returns a function that removes it. */
  on<K extends StreamEvent['type']>(type: K, listener: (event: EventOf<K>) => void): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    const wrapped = (e: StreamEvent) => {
      if (e.type === type) listener(e as EventOf<K>);
    };
    set.add(wrapped);
    this.#listeners.set(type, set);
    return () => set.delete(wrapped);
  }

  /** Drops the current connection and reconnects (resuming), e.g. after a network change. */
  reconnect(): void {
    const ws = this.#ws;
    this.#detach();
    ws?.close(1000, 'reconnect');
    this.#setState('reconnecting');
    void this.#open();
  }

  /** Closes for good and ends async iteration. */
  close(): void {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const ws = this.#ws;
    this.#detach();
    ws?.close(1000, 'client closed');
    this.#setState('closed');
    for (const p of this.#pullers.splice(0)) p({ value: undefined, done: true });
  }

  /** Events from the moment iteration starts (buffered up to `maxBuffered`). */
  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    this.#iterating = true;
    return {
      next: () => {
        const e = this.#queue.shift();
        if (e) return Promise.resolve({ value: e, done: false });
        if (this.#stopped) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#pullers.push(resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  async #open(): Promise<void> {
    this.#retryTimer = null;
    if (this.#stopped) return;
    if (this.#state !== 'reconnecting') this.#setState('connecting');
    let url = this.#opts.url;
    try {
      if (this.#opts.getTicket) {
        const u = new URL(url);
        u.searchParams.set('ticket', await this.#opts.getTicket());
        url = u.toString();
      }
    } catch {
      this.#scheduleReconnect(undefined, 'ticket request failed');
      return;
    }
    if (this.#stopped) return;
    url = this.#withRequests(url);
    const headers = this.#opts.apiKey ? { authorization: `Bearer ${this.#opts.apiKey}` } : undefined;
    const ws = headers ? new this.#Ctor(url, undefined, { headers }) : new this.#Ctor(url);
    this.#ws = ws;
    this.#unacked = 0;
    this.#unackedBytes = 0;
    ws.onmessage = (ev) => {
      if (this.#ws === ws) this.#onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#detach();
      this.#scheduleReconnect(ev.code, ev.reason);
    };
    ws.onerror = () => {
      // A failed handshake or a dropped socket; `onclose` follows and schedules the reconnect.
    };
  }

  #onFrame(data: unknown): void {
    this.#lastFrameAt = Date.now();
    const text = typeof data === 'string' ? data : String(data);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) return;
    const f = parsed.data;
    switch (f.type) {
      case 'welcome':
        this.#welcome = f;
        // Every subscriber of a symbol receives the same frames at the same instant; with a common
        // ack phase they would all ack at once and the gateway would answer acks instead of
        // fanning out the next tick. A random first threshold spreads them over the interval.
        this.#ackAt = 1 + Math.floor(Math.random() * this.#ackEvery());
        this.#attempt = 0;
        this.#setState('open');
        this.#startHeartbeat(f.heartbeat.intervalMs);
        this.#restore();
        return;
      case 'subscriptions':
        this.subscriptions = f.subscriptions;
        return;
      case 'snapshot':
        this.#lastSeq.set(f.symbol, f.seq);
        this.#emit({ type: 'snapshot', snapshot: f });
        return;
      case 'error':
        this.#emit({ type: 'error', error: f });
        return;
      case 'pong':
        return;
      case 'data':
        this.#onData(f.messages, text.length);
        return;
    }
  }

  #onData(messages: StreamMessage[], bytes: number): void {
    const resumeFrom: Record<string, number> = {};
    for (const m of messages) {
      const last = this.#lastSeq.get(m.symbol);
      if (!this.#wanted.has(m.symbol)) continue;
      if (last !== undefined && !m.conflated) {
        if (m.seq <= last) continue;
        // Seqs are per symbol across all channels: a jump is only a gap when every channel is subscribed.
        if (m.seq > last + 1 && this.#wanted.get(m.symbol)?.size === ALL.length) {
          if (!(m.symbol in resumeFrom)) {
            resumeFrom[m.symbol] = last;
            this.#emit({ type: 'gap', symbol: m.symbol, expected: last + 1, received: m.seq });
          }
          continue;
        }
      }
      if (m.symbol in resumeFrom) continue;
      this.#lastSeq.set(m.symbol, m.seq);
      this.#emit({ type: 'message', message: m });
    }
    if (Object.keys(resumeFrom).length > 0) this.#send({ type: 'resume', from: resumeFrom, channels: ALL });
    this.#unacked++;
    this.#unackedBytes += bytes;
    if (
      this.#unacked >= this.#ackAt ||
      this.#unackedBytes >= (this.#welcome?.limits.ackBytes ?? 65_536) / 2
    ) {
      this.#send({ type: 'ack', frames: this.#unacked });
      this.#unacked = 0;
      this.#unackedBytes = 0;
      this.#ackAt = this.#ackEvery();
    }
  }

  /** Half the server's limit, so an ack in flight never lets the server count this socket as behind. */
  #ackEvery(): number {
    return Math.max(1, Math.floor((this.#welcome?.limits.ackEvery ?? 16) / 2));
  }

  /** What the client wants, grouped by channel set: symbols with a known seq to resume, the rest fresh. */
  #groups(): Map<string, { channels: Channel[]; resume: Record<string, number>; fresh: string[] }> {
    const groups = new Map<
      string,
      { channels: Channel[]; resume: Record<string, number>; fresh: string[] }
    >();
    for (const [symbol, set] of this.#wanted) {
      const channels = ALL.filter((c) => set.has(c));
      const key = channels.join(',');
      const g = groups.get(key) ?? { channels, resume: {}, fresh: [] };
      const last = this.#lastSeq.get(symbol);
      if (last === undefined) g.fresh.push(symbol);
      else g.resume[symbol] = last;
      groups.set(key, g);
    }
    return groups;
  }

  /**
   * The upgrade URL, carrying the first channel set's requests: its new symbols as `?subscribe=`
   * and the ones with a known seq as `?resume=SYMBOL:seq`. The gateway answers them as the socket
   * opens, so a first connect or a reconnect sends no frame (and a storm of them costs the server
   * no message event each). Remembered in `#inUrl` so that `#restore` does not ask again.
   */
  #withRequests(url: string): string {
    this.#inUrl = null;
    const first = [...this.#groups()].find(([, g]) => g.fresh.length > 0 || Object.keys(g.resume).length > 0);
    if (!first) return url;
    const [key, g] = first;
    const resumed = Object.entries(g.resume);
    if (g.fresh.length + resumed.length > MAX_URL_SYMBOLS) return url;
    const u = new URL(url);
    if (g.fresh.length > 0) u.searchParams.set('subscribe', g.fresh.join(','));
    if (resumed.length > 0) u.searchParams.set('resume', resumed.map(([s, seq]) => `${s}:${seq}`).join(','));
    if (g.channels.length < ALL.length) u.searchParams.set('channels', g.channels.join(','));
    if (g.fresh.length > 0 && this.#opts.snapshotBars !== undefined)
      u.searchParams.set('bars', String(this.#opts.snapshotBars));
    this.#inUrl = { key, channels: g.channels, symbols: new Set([...g.fresh, ...resumed.map(([s]) => s)]) };
    return u.toString();
  }

  /** After (re)connecting: resume symbols with a known seq, subscribe the rest, grouped by channel set. */
  #restore(): void {
    const inUrl = this.#inUrl;
    this.#inUrl = null;
    for (const [key, g] of this.#groups()) {
      const sent = inUrl?.key === key ? inUrl.symbols : new Set<string>();
      const fresh = g.fresh.filter((s) => !sent.has(s));
      const resume = Object.fromEntries(Object.entries(g.resume).filter(([s]) => !sent.has(s)));
      if (fresh.length > 0)
        this.#send({
          type: 'subscribe',
          symbols: fresh,
          channels: g.channels,
          bars: this.#opts.snapshotBars,
        });
      if (Object.keys(resume).length > 0) this.#send({ type: 'resume', from: resume, channels: g.channels });
    }
    // Changed while the upgrade was in flight: drop what the URL asked for and is no longer wanted.
    for (const s of inUrl?.symbols ?? []) {
      const wanted = this.#wanted.get(s);
      const extra = (inUrl?.channels ?? []).filter((c) => !wanted?.has(c));
      if (extra.length > 0)
        this.#send({ type: 'unsubscribe', symbols: [s], ...(wanted ? { channels: extra } : {}) });
    }
  }

  #startHeartbeat(intervalMs: number): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    const ping = this.#welcome?.heartbeat.ping ?? '{"type":"ping"}';
    this.#heartbeat = setInterval(() => {
      const ws = this.#ws;
      if (!ws || ws.readyState !== OPEN) return;
      // Nothing heard for two intervals (not even a pong): the connection is dead but not closed.
      if (Date.now() - this.#lastFrameAt > 2 * intervalMs) this.reconnect();
      else ws.send(ping);
    }, intervalMs);
  }

  #scheduleReconnect(code: number | undefined, reason: string | undefined): void {
    if (this.#stopped) return;
    // A refused ticket is retried with a new ticket; a refused API key will not start working.
    if (code !== undefined && FATAL.has(code) && !this.#opts.getTicket) {
      this.#stopped = true;
      this.#setState('closed', code, reason);
      for (const p of this.#pullers.splice(0)) p({ value: undefined, done: true });
      return;
    }
    this.#setState('reconnecting', code, reason);
    const delay = backoffDelay(this.#attempt++, this.#opts.backoff);
    this.#retryTimer = setTimeout(() => void this.#open(), delay);
  }

  #detach(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    const ws = this.#ws;
    this.#ws = null;
    this.#welcome = null;
    if (ws) {
      ws.onmessage = null;
      ws.onclose = null;
    }
  }

  #isOpen(): boolean {
    return this.#ws !== null && this.#ws.readyState === OPEN && this.#welcome !== null;
  }

  #send(frame: Record<string, unknown>): void {
    if (this.#ws?.readyState === OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #setState(state: ConnectionState, code?: number, reason?: string): void {
    this.#state = state;
    this.#emit({
      type: 'state',
      state,
      ...(code === undefined ? {} : { code }),
      ...(reason ? { reason } : {}),
    });
  }

  #emit(e: StreamEvent): void {
    for (const l of this.#listeners.get(e.type) ?? []) l(e);
    const puller = this.#pullers.shift();
    if (puller) puller({ value: e, done: false });
    else if (this.#iterating) {
      this.#queue.push(e);
      if (this.#queue.length > (this.#opts.maxBuffered ?? 10_000)) this.#queue.shift();
    }
  }
}

function globalWebSocket(): WebSocketFactory | undefined {
  const candidate: unknown = Reflect.get(globalThis, 'WebSocket');
  return typeof candidate === 'function' ? (candidate as WebSocketFactory) : undefined;
}

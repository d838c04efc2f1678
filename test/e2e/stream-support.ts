import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { instrument } from '../../engine/market/catalog';
import { ServerFrame, type StreamMessage } from '../../schema/contracts/stream';
import { baseUrl, call, demoKey } from './helpers';

export type Frame = ServerFrame;

/** A raw `ws` client that records every server frame (validated) and acknowledges data frames. */
export class TestSocket {
  readonly frames: Frame[] = [];
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  autoAck: boolean;
  #unacked = 0;
  #unackedBytes = 0;
  #waiters = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    autoAck: boolean,
  ) {
    this.autoAck = autoAck;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => {
      const text = data.toString();
      const parsed = ServerFrame.safeParse(JSON.parse(text));
      if (!parsed.success) this.invalid.push(text);
      else {
        this.frames.push(parsed.data);
        if (parsed.data.type === 'data') {
          this.#unacked++;
          this.#unackedBytes += text.length;
          if (this.autoAck && (this.#unacked >= 8 || this.#unackedBytes >= 64 * 1024)) this.ack();
        }
      }
      for (const w of this.#waiters) w();
    });
    ws.on('close', () => {
      for (const w of this.#waiters) w();
    });
  }

  /** Opens a socket (default: the demo read key in the Authorization header) and waits for `welcome`. */
  static async open(
    opts: {
      key?: string | null;
      ticket?: string;
      origin?: string;
      autoAck?: boolean;
      /** More of the upgrade URL's query (`subscribe`, `channels`, `bars`). */
      query?: Record<string, string>;
    } = {},
  ): Promise<TestSocket> {
    const url = new URL('/api/v1/stream', baseUrl().replace(/^http/, 'ws'));
    if (opts.ticket) url.searchParams.set('ticket', opts.ticket);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    const key = opts.key === undefined ? demoKey('read') : opts.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (opts.origin) headers.origin = opts.origin;
    const ws = new WebSocket(url, { headers });
    const sock = new TestSocket(ws, opts.autoAck ?? true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('open timed out')), 15_000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return sock;
  }

  /** The `type` of every frame this socket sent, in order. */
  readonly sent: string[] = [];

  send(frame: unknown): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.sent.push(/"type":"([^"]+)"/.exec(text)?.[1] ?? '?');
    this.ws.send(text);
  }

  ack(): void {
    if (this.#unacked === 0 || this.ws.readyState !== WebSocket.OPEN) return;
    this.send({ type: 'ack', frames: this.#unacked });
    this.#unacked = 0;
    this.#unackedBytes = 0;
  }

  /** Waits until `check` returns a value (re-evaluated on every frame), with a timeout. */
  async until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
    const first = check();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(onFrame);
        reject(
          new Error(
            `timed out waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-3)).slice(0, 800)}`,
          ),
        );
      }, timeoutMs);
      const onFrame = () => {
        const v = check();
        if (v) {
          clearTimeout(timer);
          this.#waiters.delete(onFrame);
          resolve(v);
        }
      };
      this.#waiters.add(onFrame);
    });
  }

  /** The first frame of `type` (after index `from`) matching `pred`. */
  async next<K extends Frame['type']>(
    type: K,
    pred: (f: Extract<Frame, { type: K }>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<Extract<Frame, { type: K }>> {
    return this.until(
      () =>
        this.frames.find(
          (f): f is Extract<Frame, { type: K }> => f.type === type && pred(f as Extract<Frame, { type: K }>),
        ),
      type,
      timeoutMs,
    );
  }

  /** Every data message received for `symbol`, in arrival order. */
  messages(symbol: string): StreamMessage[] {
    return this.frames.flatMap((f) =>
      f.type === 'data' ? f.messages.filter((m) => m.symbol === symbol) : [],
    );
  }

  async untilSeq(symbol: string, seq: number, timeoutMs?: number): Promise<StreamMessage[]> {
    return this.until(
      () => (this.messages(symbol).some((m) => m.seq >= seq) ? this.messages(symbol) : undefined),
      `${symbol} seq ${seq}`,
      timeoutMs,
    );
  }

  close(): void {
    this.ws.close();
  }
}

export interface Published {
  lastSeq: number;
  firstSeq: number;
}

/**
 * Publishes `count` ticks (alternating trades and quotes) for `symbol` through the ingest API.
 * Prices default to the symbol's catalogue price (where the seeded history ends) and move in
 * steps small against it: ticks must stay inside the ingest price band (docs/market-data.md).
 */
export async function publish(
  symbol: string,
  count: number,
  opts: { price?: number; tradesOnly?: boolean } = {},
): Promise<Published> {
  const price = opts.price ?? instrument(symbol)?.price ?? 100;
  const step = price >= 10 ? 0.01 : 0.0001;
  const now = Date.now();
  const ticks = Array.from({ length: count }, (_, i) => {
    const ts = now + i;
    const sourceId = `t-${randomUUID()}`;
    return opts.tradesOnly || i % 2 === 0
      ? { type: 'trade', symbol, sourceId, ts, price: price + i * step, size: 1 + i }
      : {
          type: 'quote',
          symbol,
          sourceId,
          ts,
          bid: price - 5 * step,
          bidSize: 10,
          ask: price + 5 * step,
          askSize: 12,
        };
  });
  const res = await call('/api/v1/ingest/ticks', {
    method: 'POST',
    key: demoKey('ingest'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ticks }),
  });
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { symbols: Record<string, { lastSeq: number; accepted: number }> };
  const r = body.symbols[symbol];
  if (!r) throw new Error('ingest answered without the symbol');
  return { lastSeq: r.lastSeq, firstSeq: r.lastSeq - r.accepted + 1 };
}

/** Asserts-friendly view: the seqs, and whether they are strictly consecutive. */
export function seqs(messages: StreamMessage[]): number[] {
  return messages.map((m) => m.seq);
}

export function consecutive(list: number[]): boolean {
  return list.every((s, i) => i === 0 || s === (list[i - 1] ?? 0) + 1);
}

export async function roomStats(
  symbol: string,
): Promise<{ seq: number; gateways: Array<{ name: string; sockets: number }> }> {
  const res = await call(`/api/v1/admin/rooms/${symbol}`, { key: demoKey('admin') });
  if (res.status !== 200) throw new Error(`room stats: ${res.status} ${await res.text()}`);
  return (await res.json()) as { seq: number; gateways: Array<{ name: string; sockets: number }> };
}

import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';
import { StreamClient, type StreamEvent, type WebSocketLike } from './stream-client';

/** An in-memory socket: the test plays the server. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket | null = null;
  readyState = 1;
  sent: Array<Record<string, unknown>> = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  serve(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const welcome = {
  type: 'welcome',
  connectionId: 'c1',
  heartbeat: { ping: '{"type":"ping"}', pong: '{"type":"pong"}', intervalMs: 60_000 },
  limits: { maxFrameBytes: 16384, maxSymbols: 100, framesPerSecond: 10, ackEvery: 16, ackBytes: 65536 },
};
const trade = (seq: number, extra: Record<string, unknown> = {}) => ({
  type: 'trade',
  symbol: 'AAPL',
  seq,
  ts: 1,
  st: 2,
  price: 10,
  size: 1,
  ...extra,
});
const snapshot = (seq: number) => ({
  type: 'snapshot',
  symbol: 'AAPL',
  seq,
  st: 1,
  reset: false,
  channels: ['trades', 'quotes', 'bars'],
  quote: null,
  bars: [],
  forming: null,
});

async function started(): Promise<{ c: StreamClient; ws: FakeSocket; events: StreamEvent[] }> {
  const c = new StreamClient({
    url: 'ws://x/api/v1/stream',
    WebSocket: FakeSocket,
    backoff: { initialMs: 1, maxMs: 1 },
  });
  const events: StreamEvent[] = [];
  for (const t of ['message', 'gap', 'snapshot'] as const) c.on(t, (e) => events.push(e));
  c.subscribe(['AAPL']);
  c.connect();
  await new Promise((r) => setTimeout(r, 0));
  const ws = FakeSocket.last;
  if (!ws) throw new Error('no socket');
  ws.serve(welcome);
  ws.serve(snapshot(10));
  return { c, ws, events };
}

describe('StreamClient', () => {
  it('subscribes in the upgrade URL, drops duplicates and acknowledges data frames', async () => {
    const { c, ws, events } = await started();
    const url = new URL(ws.url);
    expect(url.searchParams.get('subscribe')).toBe('AAPL');
    // All channels (the default) and no snapshot option: nothing else in the URL, no subscribe frame.
    expect([...url.searchParams.keys()]).toEqual(['subscribe']);
    expect(ws.sent.filter((f) => f.type === 'subscribe')).toEqual([]);
    ws.serve({ type: 'data', messages: [trade(11), trade(12)] });
    ws.serve({ type: 'data', messages: [trade(12), trade(13)] });
    expect(
      events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message.seq : 0)),
    ).toEqual([11, 12, 13]);
    for (let i = 0; i < 8; i++) ws.serve({ type: 'data', messages: [trade(14 + i)] });
    expect(ws.sent.some((f) => f.type === 'ack')).toBe(true);
    c.close();
  });

  it('never leaves more than half of ackEvery data frames unacknowledged, and acks at a random phase', async () => {
    const firstAcks = new Set<number>();
    for (let run = 0; run < 20; run++) {
      const { c, ws } = await started();
      let acked = 0;
      for (let i = 0; i < 100; i++) {
        ws.serve({ type: 'data', messages: [trade(11 + i)] });
        for (const f of ws.sent.splice(0)) {
          if (f.type !== 'ack') continue;
          if (acked === 0) firstAcks.add(Number(f.frames));
          acked += Number(f.frames);
        }
        expect(i + 1 - acked).toBeLessThan(welcome.limits.ackEvery / 2);
      }
      c.close();
    }
    // Clients of one symbol get the same frames at once; a shared phase would make them ack at once.
    expect(firstAcks.size).toBeGreaterThan(1);
  });

  it('sends as frames what the URL did not carry: symbols added before the welcome, other channel sets', async () => {
    const c = new StreamClient({ url: 'ws://x/api/v1/stream', WebSocket: FakeSocket, snapshotBars: 5 });
    c.subscribe(['AAPL', 'BTC-USD']);
    c.subscribe(['ETH-USD'], ['trades']);
    c.connect();
    await new Promise((r) => setTimeout(r, 0));
    const ws = FakeSocket.last;
    if (!ws) throw new Error('no socket');
    const url = new URL(ws.url);
    expect(url.searchParams.get('subscribe')).toBe('AAPL,BTC-USD');
    expect(url.searchParams.get('channels')).toBeNull();
    expect(url.searchParams.get('bars')).toBe('5');
    c.subscribe(['SOL-USD']); // while the upgrade is in flight: not in the URL any more
    ws.serve(welcome);
    expect(ws.sent.filter((f) => f.type === 'subscribe')).toEqual([
      { type: 'subscribe', symbols: ['SOL-USD'], channels: ['trades', 'quotes', 'bars'], bars: 5 },
      { type: 'subscribe', symbols: ['ETH-USD'], channels: ['trades'], bars: 5 },
    ]);
    c.close();
  });

  it('detects a seq jump, asks to resume from the last seq, and accepts the replay', async () => {
    const { c, ws, events } = await started();
    ws.serve({ type: 'data', messages: [trade(11), trade(14)] });
    expect(events.find((e) => e.type === 'gap')).toMatchObject({
      symbol: 'AAPL',
      expected: 12,
      received: 14,
    });
    // Acks go out at a random phase and may follow the resume: look past them.
    expect(ws.sent.filter((f) => f.type !== 'ack').at(-1)).toMatchObject({
      type: 'resume',
      from: { AAPL: 11 },
    });
    ws.serve({ type: 'data', messages: [trade(12), trade(13), trade(14)] });
    expect(c.lastSeq('AAPL')).toBe(14);
    c.close();
  });

  it('accepts conflated messages as the new position', async () => {
    const { c, ws } = await started();
    ws.serve({ type: 'data', conflated: true, messages: [trade(50, { conflated: true })] });
    expect(c.lastSeq('AAPL')).toBe(50);
    c.close();
  });

  it('reconnects after a drop and resumes from the last seq, in the upgrade URL', async () => {
    const { c, ws } = await started();
    c.subscribe(['BTC-USD']); // after the welcome: a frame, then its snapshot
    ws.serve({ ...snapshot(40), symbol: 'BTC-USD' });
    ws.serve({ type: 'data', messages: [trade(11)] });
    ws.onclose?.({ code: 1006, reason: '' });
    await new Promise((r) => setTimeout(r, 20));
    const next = FakeSocket.last;
    if (!next || next === ws) throw new Error('no new socket');
    const url = new URL(next.url);
    expect(url.searchParams.get('resume')).toBe('AAPL:11,BTC-USD:40');
    expect(url.searchParams.get('subscribe')).toBeNull();
    next.serve(welcome);
    expect(next.sent.filter((f) => f.type !== 'ack')).toEqual([]);
    c.close();
  });

  it('unsubscribes on the new socket what the URL asked for and was dropped while it connected', async () => {
    const c = new StreamClient({ url: 'ws://x/api/v1/stream', WebSocket: FakeSocket });
    c.subscribe(['AAPL', 'SPY']);
    c.connect();
    await new Promise((r) => setTimeout(r, 0));
    const ws = FakeSocket.last;
    if (!ws) throw new Error('no socket');
    c.unsubscribe(['SPY']);
    c.unsubscribe(['AAPL'], ['bars']);
    ws.serve(welcome);
    expect(ws.sent.filter((f) => f.type !== 'ack')).toEqual([
      { type: 'subscribe', symbols: ['AAPL'], channels: ['trades', 'quotes'] },
      { type: 'unsubscribe', symbols: ['AAPL'], channels: ['bars'] },
      { type: 'unsubscribe', symbols: ['SPY'] },
    ]);
    c.close();
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelay(0, { initialMs: 100 }, () => 1)).toBe(100);
    expect(backoffDelay(3, { initialMs: 100 }, () => 1)).toBe(800);
    expect(backoffDelay(30, { initialMs: 100, maxMs: 5_000 }, () => 1)).toBe(5_000);
    expect(backoffDelay(3, { initialMs: 100 }, () => 0.5)).toBe(400);
  });
});

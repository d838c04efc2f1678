import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { baseUrl, call, demoKey } from './helpers';
import { consecutive, publish, seqs, TestSocket } from './stream-support';

const open: TestSocket[] = [];
async function connect(opts?: Parameters<typeof TestSocket.open>[0]): Promise<TestSocket> {
  const s = await TestSocket.open(opts);
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function refused(opts: { headers?: Record<string, string>; query?: string }): Promise<number> {
  const ws = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}/api/v1/stream${opts.query ?? ''}`, {
    headers: opts.headers,
  });
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), 10_000);
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      clearTimeout(timer);
      ws.close();
      resolve(101);
    });
    ws.once('error', () => {});
  });
}

/** The error body of a refused upgrade. */
async function refusalBody(
  query: string,
  headers: Record<string, string>,
): Promise<{ error: { code: string; details?: Array<{ path: string }> } }> {
  const ws = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}/api/v1/stream${query}`, { headers });
  ws.once('error', () => {});
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    ws.once('unexpected-response', (_req, r) => resolve(r));
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
  });
  let text = '';
  for await (const chunk of res) text += String(chunk);
  ws.terminate();
  return JSON.parse(text);
}

describe('stream: connect', () => {
  it('authenticates before the upgrade: no key 401, bad key 401, key in the URL 400, foreign Origin 403', async () => {
    expect(await refused({})).toBe(401);
    expect(await refused({ headers: { authorization: 'Bearer sk_nope' } })).toBe(401);
    expect(await refused({ query: `?key=${demoKey('read')}` })).toBe(400);
    expect(
      await refused({
        headers: { authorization: `Bearer ${demoKey('read')}`, origin: 'https://evil.example' },
      }),
    ).toBe(403);
  });

  it('accepts a bot without Origin and a browser from an allowed Origin, and greets with limits', async () => {
    const bot = await connect();
    const welcome = await bot.next('welcome');
    expect(welcome.limits.maxSymbols).toBe(100);
    expect(welcome.heartbeat.ping).toBe('{"type":"ping"}');
    const browser = await connect({ origin: 'http://localhost:8787' });
    await browser.next('welcome');
  });

  it('answers heartbeats with pong', async () => {
    const s = await connect();
    const pong = new Promise<string>((resolve) =>
      s.ws.on('message', (d) => d.toString() === '{"type":"pong"}' && resolve(d.toString())),
    );
    s.send('{"type":"ping"}');
    expect(await pong).toBe('{"type":"pong"}');
  });
});

describe('stream: tickets', () => {
  async function ticket(ttlSeconds?: number): Promise<string> {
    const res = await call('/api/v1/stream/ticket', {
      method: 'POST',
      key: demoKey('read'),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ttlSeconds ? { ttlSeconds } : {}),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { ticket: string; expiresAt: number; url: string };
    expect(body.expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    expect(body.url).toContain(`ticket=${body.ticket}`);
    return body.ticket;
  }

  it('a ticket opens one socket once; reuse is refused with close 4001', async () => {
    const t = await ticket();
    const first = await connect({ key: null, ticket: t, origin: 'http://localhost:8787' });
    await first.next('welcome');
    const again = await connect({ key: null, ticket: t, origin: 'http://localhost:8787' });
    const err = await again.next('error');
    expect(err.code).toBe('auth_failed');
    expect((await again.closed).code).toBe(4001);
  });

  it('an expired ticket is refused with close 4001', async () => {
    const t = await ticket(1);
    await new Promise((r) => setTimeout(r, 1_500));
    const late = await connect({ key: null, ticket: t });
    expect((await late.closed).code).toBe(4001);
  });

  it('requires a read key to issue tickets', async () => {
    const res = await call('/api/v1/stream/ticket', { method: 'POST' });
    expect(res.status).toBe(401);
  });
});

describe('stream: subscribe, snapshot and sequence', () => {
  it('acknowledges the full subscription set and sends a snapshot with quote, bars, forming bar and seq', async () => {
    const symbol = 'MSFT';
    await publish(symbol, 4, { price: 440 }); // near MSFT's seeded 441.2: inside the ingest price band
    const s = await connect();
    s.send({ type: 'subscribe', id: 'a', symbols: [symbol], channels: ['trades'] });
    const ack = await s.next('subscriptions', (f) => f.id === 'a');
    expect(ack.subscriptions).toEqual({ [symbol]: ['trades'] });
    const snap = await s.next('snapshot', (f) => f.symbol === symbol);
    expect(snap.seq).toBeGreaterThanOrEqual(4);
    expect(snap.quote?.last).toBeCloseTo(440.02, 5);
    expect(snap.quote?.bid).toBeCloseTo(439.95, 5);
    expect(snap.bars.length).toBe(30);
    expect(snap.bars.every((b, i) => i === 0 || b.time > (snap.bars[i - 1]?.time ?? 0))).toBe(true);
    expect(snap.forming?.close).toBeCloseTo(440.02, 5);
    expect(snap.reset).toBe(false);

    s.send({ type: 'subscribe', id: 'b', symbols: [symbol, 'NVDA'], channels: ['quotes'], bars: 0 });
    const ack2 = await s.next('subscriptions', (f) => f.id === 'b');
    expect(ack2.subscriptions).toEqual({ [symbol]: ['trades', 'quotes'], NVDA: ['quotes'] });
    s.send({ type: 'unsubscribe', id: 'c', symbols: [symbol], channels: ['trades'] });
    const ack3 = await s.next('subscriptions', (f) => f.id === 'c');
    expect(ack3.subscriptions).toEqual({ [symbol]: ['quotes'], NVDA: ['quotes'] });
  });

  it('streams the forming 1-minute bar as final: false, at most once a second, with the OHLCV so far', async () => {
    const symbol = 'ETH-USD';
    const s = await connect();
    s.send({ type: 'subscribe', symbols: [symbol], channels: ['bars'], bars: 0 });
    const snap = await s.next('snapshot', (f) => f.symbol === symbol);
    // Let any update the snapshot already covered age past the throttle, then trade in one batch.
    await new Promise((r) => setTimeout(r, 1_100));
    // Near ETH-USD's seeded 3,410: inside the ingest price band.
    const first = await publish(symbol, 3, { price: 3400, tradesOnly: true });
    const bars = await s.untilSeq(symbol, first.lastSeq);
    const update = bars.find((m) => m.seq > snap.seq && m.type === 'bar' && !m.final);
    if (update?.type !== 'bar') throw new Error('no forming-bar update');
    expect(update.seq).toBe(first.lastSeq); // sequenced after the batch's trades
    expect(update.tf).toBe('1m');
    expect(update.c).toBeCloseTo(3400.02, 5);
    expect(update.h).toBeGreaterThanOrEqual(3400.02);
    expect(update.l).toBeLessThanOrEqual(3400);
    // Within the next second further trades do not produce another update.
    const second = await publish(symbol, 2, { price: 3401, tradesOnly: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(s.messages(symbol).filter((m) => m.type === 'bar' && !m.final && m.seq > update.seq)).toEqual([]);
    expect(second.lastSeq).toBeGreaterThan(update.seq);
  });

  it('delivers every message of several symbols on one socket in seq order without gaps, each with symbol, seq and server time', async () => {
    const a = 'AAPL';
    const b = 'TSLA';
    const s = await connect();
    s.send({ type: 'subscribe', symbols: [a, b], bars: 0 });
    const snapA = await s.next('snapshot', (f) => f.symbol === a);
    const snapB = await s.next('snapshot', (f) => f.symbol === b);
    let lastA = 0;
    let lastB = 0;
    for (let i = 0; i < 5; i++) {
      lastA = (await publish(a, 20)).lastSeq;
      lastB = (await publish(b, 10)).lastSeq;
    }
    const gotA = await s.untilSeq(a, lastA);
    const gotB = await s.untilSeq(b, lastB);
    expect(seqs(gotA)[0]).toBe(snapA.seq + 1);
    expect(seqs(gotB)[0]).toBe(snapB.seq + 1);
    expect(consecutive(seqs(gotA))).toBe(true);
    expect(consecutive(seqs(gotB))).toBe(true);
    expect(gotA.at(-1)?.seq).toBe(lastA);
    for (const m of [...gotA, ...gotB]) {
      expect(m.st).toBeGreaterThan(0);
      expect(typeof m.symbol).toBe('string');
    }
  });

  it('subscribes from the upgrade URL: no frame from the client, the snapshot after the welcome, then every live message', async () => {
    const symbol = 'BRK.B';
    const s = await connect({ query: { subscribe: `${symbol},NVDA`, channels: 'trades,quotes', bars: '3' } });
    const ack = await s.next('subscriptions');
    expect(ack.op).toBe('subscribe');
    expect(ack.subscriptions).toEqual({ [symbol]: ['trades', 'quotes'], NVDA: ['trades', 'quotes'] });
    const snap = await s.next('snapshot', (f) => f.symbol === symbol);
    expect(snap.bars.length).toBe(3);
    expect(snap.channels).toEqual(['trades', 'quotes']);
    await s.next('snapshot', (f) => f.symbol === 'NVDA');
    // Six ticks and the forming bar's update (last, on the `bars` channel this socket did not ask for).
    const { lastSeq } = await publish(symbol, 6);
    const got = await s.untilSeq(symbol, lastSeq - 1);
    expect(seqs(got)[0]).toBe(snap.seq + 1);
    expect(consecutive(seqs(got))).toBe(true);
    expect(got.map((m) => m.type)).toEqual(['trade', 'quote', 'trade', 'quote', 'trade', 'quote']);
    // The socket sent nothing but acks: the subscription came with the upgrade.
    expect(s.sent.filter((t) => t !== 'ack')).toEqual([]);
  });

  it('refuses a bad subscription in the URL before the upgrade (400), and answers an unknown symbol on the socket', async () => {
    const key = { authorization: `Bearer ${demoKey('read')}` };
    for (const query of [
      '?subscribe=not%20a%20symbol',
      '?subscribe=AAPL&channels=news',
      '?subscribe=AAPL&bars=x',
      '?bars=5',
    ]) {
      expect(await refused({ headers: key, query }), query).toBe(400);
    }
    const body = await refusalBody('?subscribe=AAPL&bars=9999', key);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details?.[0]?.path).toBe('bars');
    const s = await connect({ query: { subscribe: 'NOPE1,AAPL', bars: '0' } });
    const err = await s.next('error');
    expect(err.code).toBe('unknown_symbol');
    expect(err.symbols).toEqual(['NOPE1']);
    expect((await s.next('snapshot')).symbol).toBe('AAPL');
  });

  it('filters by channel', async () => {
    const symbol = 'SPY';
    const s = await connect();
    s.send({ type: 'subscribe', symbols: [symbol], channels: ['quotes'], bars: 0 });
    await s.next('snapshot');
    const { lastSeq } = await publish(symbol, 10);
    await s.until(() => s.messages(symbol).length >= 5, '5 quotes');
    await publish(symbol, 2);
    await s.until(() => s.messages(symbol).length >= 6, '6 quotes');
    expect(s.messages(symbol).every((m) => m.type === 'quote')).toBe(true);
    expect(s.messages(symbol).filter((m) => m.seq <= lastSeq)).toHaveLength(5);
  });
});

describe('stream: resume', () => {
  it('after a client drop, resume replays exactly what was missed: no gap, no duplicate', async () => {
    const symbol = 'ETH-USD';
    const first = await connect();
    first.send({ type: 'subscribe', symbols: [symbol], bars: 0 });
    await first.next('snapshot');
    const { lastSeq: seen } = await publish(symbol, 10);
    await first.untilSeq(symbol, seen);
    first.close();
    await first.closed;
    const { lastSeq: missedTo } = await publish(symbol, 15);

    const second = await connect();
    second.send({ type: 'resume', id: 'r', from: { [symbol]: seen } });
    const ack = await second.next('subscriptions', (f) => f.id === 'r');
    expect(ack.op).toBe('resume');
    await second.untilSeq(symbol, missedTo);
    const { lastSeq: live } = await publish(symbol, 5);
    const got = seqs(await second.untilSeq(symbol, live));
    expect(got[0]).toBe(seen + 1);
    expect(consecutive(got)).toBe(true);
    expect(got.at(-1)).toBe(live);
    expect(second.frames.some((f) => f.type === 'snapshot')).toBe(false);
  });

  it('resumes from the upgrade URL (`?resume=SYMBOL:seq`): the replay follows the welcome, no frame from the client', async () => {
    const symbol = 'ETH-USD';
    const first = await connect({ query: { subscribe: symbol, bars: '0' } });
    await first.next('snapshot');
    const { lastSeq: seen } = await publish(symbol, 6);
    await first.untilSeq(symbol, seen);
    first.close();
    await first.closed;
    const { lastSeq: missedTo } = await publish(symbol, 8);

    const second = await connect({ query: { resume: `${symbol}:${seen}`, subscribe: 'AAPL', bars: '0' } });
    const ops = await second.until(() => {
      const acks = second.frames.flatMap((f) => (f.type === 'subscriptions' ? [f.op] : []));
      return acks.length >= 2 ? acks.sort() : undefined;
    }, 'both acknowledgements');
    expect(ops).toEqual(['resume', 'subscribe']);
    await second.next('snapshot', (f) => f.symbol === 'AAPL');
    const { lastSeq: live } = await publish(symbol, 4);
    const got = seqs(await second.untilSeq(symbol, live));
    expect(got[0]).toBe(seen + 1);
    expect(consecutive(got)).toBe(true);
    expect(got).toContain(missedTo);
    expect(second.frames.some((f) => f.type === 'snapshot' && f.symbol === symbol)).toBe(false);
    expect(second.sent.filter((t) => t !== 'ack')).toEqual([]);
    const key = { authorization: `Bearer ${demoKey('read')}` };
    for (const query of ['?resume=ETH-USD', '?resume=ETH-USD:x', '?resume=not%20one:5', '?channels=trades']) {
      expect(await refused({ headers: key, query }), query).toBe(400);
    }
    const body = await refusalBody('?resume=ETH-USD:x', key);
    expect(body.error.details?.[0]?.path).toBe('resume.ETH-USD');
  });

  it('survives a room restart: live sockets keep a continuous seq and resume reads the stored log', async () => {
    const symbol = 'SOL-USD';
    const live = await connect();
    live.send({ type: 'subscribe', symbols: [symbol], bars: 0 });
    const snap = await live.next('snapshot');
    const { lastSeq: before } = await publish(symbol, 10);
    await live.untilSeq(symbol, before);

    const restart = await call(`/api/v1/admin/rooms/${symbol}/restart`, {
      method: 'POST',
      key: demoKey('admin'),
    });
    expect(restart.status).toBe(200);
    const { lastSeq: after } = await publish(symbol, 10);
    expect(after).toBeGreaterThan(before);
    const got = seqs(await live.untilSeq(symbol, after));
    expect(got[0]).toBe(snap.seq + 1);
    expect(consecutive(got)).toBe(true);

    // The in-memory ring is gone after the restart: this replay comes from the room's SQLite log.
    const late = await connect();
    late.send({ type: 'resume', from: { [symbol]: snap.seq } });
    const replayed = seqs(await late.untilSeq(symbol, after));
    expect(replayed[0]).toBe(snap.seq + 1);
    expect(consecutive(replayed)).toBe(true);
  });

  it('sends a reset snapshot when the requested position cannot be replayed', async () => {
    const symbol = 'DOGE-USD';
    const { lastSeq } = await publish(symbol, 2);
    const s = await connect();
    s.send({ type: 'resume', from: { [symbol]: lastSeq + 1_000 } });
    const snap = await s.next('snapshot');
    expect(snap.reset).toBe(true);
    expect(snap.seq).toBe(lastSeq);
    const { lastSeq: next } = await publish(symbol, 2);
    expect(seqs(await s.untilSeq(symbol, next))).toEqual([lastSeq + 1, lastSeq + 2]);
  });
});

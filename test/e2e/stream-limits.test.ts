import { afterEach, describe, expect, it } from 'vitest';
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

describe('stream: bad input', () => {
  it('answers malformed, unknown and invalid frames with coded errors and keeps the socket', async () => {
    const s = await connect();
    await s.next('welcome');
    s.send('{not json');
    await s.until(
      () => s.frames.filter((f) => f.type === 'error' && f.code === 'bad_message').length === 1,
      'bad_message',
    );
    s.send({ type: 'teleport' });
    await s.next('error', (f) => f.code === 'unknown_type');
    s.send({ type: 'subscribe', symbols: ['AAPL'], channels: ['gossip'] });
    await s.until(
      () => s.frames.filter((f) => f.type === 'error' && f.code === 'bad_message').length === 2,
      'second bad_message',
    );
    s.send({ type: 'subscribe', id: 'z', symbols: ['ZZZZ9'] });
    const unknown = await s.next('error', (f) => f.code === 'unknown_symbol');
    expect(unknown.symbols).toEqual(['ZZZZ9']);
    s.send({ type: 'subscribe', id: 'many', symbols: Array.from({ length: 101 }, (_, i) => `X${i}`) });
    const tooMany = await s.next('error', (f) => f.code === 'too_many_subscriptions');
    expect(tooMany.id).toBe('many');
    s.send({ type: 'subscribe', id: 'ok', symbols: ['AAPL'], bars: 0 });
    await s.next('snapshot');
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });

  it('closes on an oversized frame (1009), repeated bad frames (4002) and a frame flood (4008), while other sockets keep streaming', async () => {
    const symbol = 'NVDA';
    const healthy = await connect();
    healthy.send({ type: 'subscribe', symbols: [symbol], bars: 0 });
    const snap = await healthy.next('snapshot');

    const big = await connect();
    big.send({ type: 'subscribe', symbols: ['AAPL'], pad: 'x'.repeat(20_000) });
    expect((await big.closed).code).toBe(1009);

    const noisy = await connect();
    for (let i = 0; i < 12; i++) noisy.send('nope');
    expect((await noisy.closed).code).toBe(4002);

    const flood = await connect();
    for (let i = 0; i < 100; i++) flood.send({ type: 'unsubscribe', symbols: ['AAPL'] });
    await flood.next('error', (f) => f.code === 'rate_limited');
    expect((await flood.closed).code).toBe(4008);

    const { lastSeq } = await publish(symbol, 20);
    const got = seqs(await healthy.untilSeq(symbol, lastSeq));
    expect(got[0]).toBe(snap.seq + 1);
    expect(consecutive(got)).toBe(true);
  });
});

describe('stream: slow consumers', () => {
  it('conflates a socket that stops acknowledging to the latest value per channel, then closes it with 4009; the room and other sockets carry on', async () => {
    const symbol = 'BTC-USD';
    const healthy = await connect();
    const slow = await connect({ autoAck: false });
    // The healthy socket takes every channel (forming-bar updates too), so its seqs are consecutive.
    healthy.send({ type: 'subscribe', symbols: [symbol], bars: 0 });
    slow.send({ type: 'subscribe', symbols: [symbol], channels: ['trades', 'quotes'], bars: 0 });
    const snap = await healthy.next('snapshot');
    await slow.next('snapshot');

    // Fall behind: 1,000-tick batches (~95 KB frames), never acknowledged, pass the 512 KiB window.
    let last = 0;
    for (let i = 0; i < 7; i++) {
      last = (await publish(symbol, 1000)).lastSeq;
      await healthy.untilSeq(symbol, last);
    }
    const newestLive = healthy
      .messages(symbol)
      .filter((m) => m.type !== 'bar')
      .at(-1)?.seq;
    expect(slow.messages(symbol).some((m) => m.seq === newestLive)).toBe(false);
    // Catch up once: what was held back arrives as one frame with the latest trade and quote.
    slow.ack();
    const conflated = await slow.until(
      () => slow.frames.find((f) => f.type === 'data' && f.conflated === true),
      'conflated frame',
    );
    expect(conflated.type === 'data' && conflated.messages.every((m) => m.conflated === true)).toBe(true);
    const types = conflated.type === 'data' ? conflated.messages.map((m) => m.type).sort() : [];
    expect(types).toEqual(['quote', 'trade']);
    const newest = conflated.type === 'data' ? Math.max(...conflated.messages.map((m) => m.seq)) : 0;
    expect(newest).toBe(newestLive);

    // Stay behind: closed as a slow consumer.
    for (let i = 0; i < 20 && slow.ws.readyState === slow.ws.OPEN; i++) {
      last = (await publish(symbol, 1000)).lastSeq;
      await healthy.untilSeq(symbol, last);
    }
    const closed = await slow.closed;
    expect(closed.code).toBe(4009);
    expect(slow.frames.some((f) => f.type === 'error' && f.code === 'slow_consumer')).toBe(true);

    const got = seqs(healthy.messages(symbol));
    expect(got[0]).toBe(snap.seq + 1);
    expect(consecutive(got)).toBe(true);
    expect(got.at(-1)).toBe(last);
  });
});

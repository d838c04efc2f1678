import { afterEach, describe, expect, it } from 'vitest';
import { consecutive, publish, roomStats, seqs, TestSocket } from './stream-support';

// The e2e wrangler runs with STREAM_SOCKETS_PER_GATEWAY=4 and STREAM_GATEWAY_SHARDS=1
// (test/e2e/global-setup.ts), so a handful of sockets already needs several fan-out shards.
const PER_GATEWAY = 4;

const open: TestSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('stream: hot symbols spread over fan-out shards', () => {
  it('places sockets past the per-gateway threshold on further gateways, all fed by the one room', async () => {
    const symbol = 'BRK.B';
    const n = 14;
    for (let i = 0; i < n; i++) open.push(await TestSocket.open());
    for (const s of open) s.send({ type: 'subscribe', symbols: [symbol], bars: 0 });
    const snaps = await Promise.all(open.map((s) => s.next('snapshot')));

    const stats = await roomStats(symbol);
    expect(stats.gateways.length).toBeGreaterThanOrEqual(Math.ceil(n / PER_GATEWAY));
    for (const g of stats.gateways) expect(g.sockets).toBeLessThanOrEqual(PER_GATEWAY);

    let last = 0;
    for (let i = 0; i < 3; i++) last = (await publish(symbol, 10)).lastSeq;
    for (const [i, s] of open.entries()) {
      const got = seqs(await s.untilSeq(symbol, last));
      expect(got[0]).toBe((snaps[i]?.seq ?? 0) + 1);
      expect(consecutive(got)).toBe(true);
    }
  });

  it('forgets a gateway once its last subscriber of the symbol leaves', async () => {
    const symbol = 'EURUSD';
    const s = await TestSocket.open();
    open.push(s);
    s.send({ type: 'subscribe', symbols: [symbol], bars: 0 });
    await s.next('snapshot');
    expect((await roomStats(symbol)).gateways.length).toBe(1);
    s.send({ type: 'unsubscribe', id: 'u', symbols: [symbol] });
    await s.next('subscriptions', (f) => f.id === 'u');
    const deadline = Date.now() + 10_000;
    while ((await roomStats(symbol)).gateways.length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect((await roomStats(symbol)).gateways).toEqual([]);
  });
});

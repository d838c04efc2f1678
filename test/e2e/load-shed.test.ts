import { afterAll, describe, expect, it } from 'vitest';
import { call, clearFaults, demoKey, injectFaults } from './helpers';

// Load shedding as clients meet it through wrangler dev (LOAD_SHED_MAX_INFLIGHT=12, fixed here, a
// 100 ms wait): arrivals past the limit wait for a freed slot and are served, or are refused with
// 503 + Retry-After, never a 500. The waiters find their slot on their own timers
// (platform/load-shed.ts): resumed by the request that freed the slot, a waiter's I/O was refused
// by workerd ("Cannot perform I/O on behalf of a different request", 60–96 such 500s a run of
// `DIRECT=1 bench:overload` at 4× the knee). That needs 4× overload to show; this test checks the
// waiting and refusing themselves at a load the suite can afford.

afterAll(async () => {
  await clearFaults();
});

describe('load shedding through wrangler dev', () => {
  it('serves requests that waited for a freed slot (never a 500) and refuses the rest with 503 + Retry-After', async () => {
    const admin = demoKey('admin');
    // Every D1 call takes 300 ms: twelve requests hold every slot while the next ones queue.
    const put = await injectFaults({ d1ErrorRate: 0, d1LatencyMs: 300, durationSeconds: 60 });
    expect(put.status).toBe(200);

    // 60 reads, one every 15 ms: arrivals keep meeting a full guard while slots free up.
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 15));
        const res = await call('/api/v1/symbols', { key: admin, headers: { 'cache-control': 'no-cache' } });
        const body = await res.text();
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
      }),
    );
    await clearFaults();

    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 503);
    expect(unexpected.map((a) => `${a.status} ${a.body.slice(0, 200)}`)).toEqual([]);
    // The guard was full at times (refusals) and freed slots were taken by later arrivals.
    expect(byStatus.get(503) ?? 0).toBeGreaterThan(0);
    expect(byStatus.get(200) ?? 0).toBeGreaterThan(12);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.retryAfter).toBe('1');
      expect(JSON.parse(a.body).error.code).toBe('overloaded');
    }
  });
});

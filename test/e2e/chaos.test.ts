import { afterAll, describe, expect, it } from 'vitest';
import { constantArrivalRate, timedFetch } from '../../load-tests/node/open-model';
import { summarize } from '../../load-tests/node/stats';
import { parseExposition, sampleSum } from '../../platform/metrics/prometheus-text';
import { baseUrl, call, clearFaults, demoKey, injectFaults } from './helpers';

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'BTC-USD'];

async function d1Errors(): Promise<number> {
  const res = await call('/metrics', { key: demoKey('admin') });
  expect(res.status).toBe(200);
  return sampleSum(parseExposition(await res.text()), 'skippy_d1_queries_total', { outcome: 'error' });
}

afterAll(async () => {
  await clearFaults();
});

describe('chaos: 20 % of D1 calls failing', () => {
  it('keeps reads answering (stale from cache when needed) with zero 5xx', async () => {
    const admin = demoKey('admin');
    // Warm the caches the reads will fall back to.
    expect((await call('/api/v1/symbols', { key: admin })).status).toBe(200);
    for (const s of SYMBOLS)
      expect((await call(`/api/v1/bars/${s}?timeframe=1d&limit=100`, { key: admin })).status).toBe(200);
    const errorsBefore = await d1Errors();

    const put = await injectFaults({ d1ErrorRate: 0.2, durationSeconds: 120 });
    expect(put.status).toBe(200);

    const { outcomes, dropped } = await constantArrivalRate({
      rate: 30,
      durationMs: 6_000,
      // No cap: every one of the 180 arrivals is sent, however slow the answers.
      maxInFlight: 1_000,
      run: (i) => {
        const s = SYMBOLS[i % SYMBOLS.length];
        const path = i % 3 === 0 ? '/api/v1/symbols' : `/api/v1/bars/${s}?timeframe=1d&limit=100`;
        // Every other read skips fresh cache copies, so it reaches D1 and meets the faults.
        const headers: Record<string, string> = { authorization: `Bearer ${admin}` };
        if (i % 2 === 0) headers['cache-control'] = 'no-cache';
        return timedFetch(`${baseUrl()}${path}`, { headers });
      },
    });
    const summary = summarize(outcomes, dropped);
    expect(dropped).toBe(0);
    expect(summary.count).toBe(180);
    expect(summary.failed).toBe(0);
    expect(summary.serverErrors).toBe(0);
    expect(summary.ok).toBe(summary.count);
    // The faults really fired: D1 failed and answers were served stale from cache.
    expect(summary.stale).toBeGreaterThan(0);
    expect(await d1Errors()).toBeGreaterThan(errorsBefore);
  });
});

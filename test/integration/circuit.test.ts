import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, sampleSum } from '../../platform/metrics/prometheus-text';
import { api, injectFaults, makeKey, seedSymbols } from './helpers';

let adminKey: string;
let readKey: string;

beforeAll(async () => {
  await seedSymbols();
  adminKey = await makeKey(['admin']);
  readKey = await makeKey(['read']);
});
afterAll(async () => {
  await api('/api/v1/admin/faults', { method: 'DELETE', key: adminKey });
});

describe('D1 outage as seen by the metrics', () => {
  it('serves stale reads, opens the D1 breaker, and /metrics shows both', async () => {
    expect((await api('/api/v1/symbols', { key: readKey })).status).toBe(200);
    expect((await api('/metrics', { key: adminKey })).status).toBe(200);
    const put = await injectFaults(adminKey, { d1ErrorRate: 1 });
    expect(put.status).toBe(200);

    for (let i = 0; i < 8; i++) {
      const res = await api('/api/v1/symbols', { key: readKey, headers: { 'cache-control': 'no-cache' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { stale?: boolean }).stale).toBe(true);
    }

    const scrape = await api('/metrics', { key: adminKey });
    expect(scrape.status).toBe(200);
    const samples = parseExposition(await scrape.text());
    expect(sampleSum(samples, 'skippy_circuit_breaker_state', { dependency: 'd1' })).toBe(2);
    expect(
      sampleSum(samples, 'skippy_circuit_breaker_transitions_total', { dependency: 'd1' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleSum(samples, 'skippy_cache_requests_total', { outcome: 'stale' })).toBeGreaterThanOrEqual(8);
    expect(sampleSum(samples, 'skippy_d1_queries_total', { outcome: 'error' })).toBeGreaterThanOrEqual(5);
    expect(
      sampleSum(samples, 'skippy_http_requests_total', { route: '/api/v1/symbols', status_class: '5xx' }),
    ).toBe(0);
  });
});

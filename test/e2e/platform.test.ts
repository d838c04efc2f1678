import { describe, expect, inject, it } from 'vitest';
import { preparePlatform } from '../../scripts/lib/platform';
import { call, demoKey } from './helpers';

describe('the platform under wrangler dev', () => {
  it('is live, documents itself and serves the dashboard', async () => {
    const health = await call('/api/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    const doc = await (await call('/api/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/bars/{symbol}');
    expect((await call('/api/docs')).headers.get('content-type')).toContain('text/html');
    const root = await call('/');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
  });

  it('serves the seeded market: 11 symbols, two years of daily bars, 30 days of minute bars', async () => {
    const key = demoKey('read');
    const symbols = await (await call('/api/v1/symbols', { key })).json();
    expect(symbols.data.length).toBeGreaterThanOrEqual(10);
    const daily = await (await call('/api/v1/bars/AAPL?timeframe=1d&limit=5000', { key })).json();
    const spanDays = (daily.data.at(-1).t - daily.data[0].t) / 86_400_000;
    expect(spanDays).toBeGreaterThanOrEqual(725);
    const minutes = await (await call('/api/v1/bars/BTC-USD?timeframe=1m&limit=5000', { key })).json();
    expect(minutes.data).toHaveLength(5000);
    expect(minutes.nextCursor).toEqual(expect.any(String));
    const hourly = await (await call('/api/v1/bars/BTC-USD?timeframe=1h&limit=24', { key })).json();
    expect(hourly.data).toHaveLength(24);
    for (const b of hourly.data) expect(b.t % 3_600_000).toBe(0);
  });

  it('ingests ticks and answers with the live quote', async () => {
    // Other e2e files publish to the same symbols on the same server: a quote stamped with another
    // trade's time was moved by one of them, so try again; one attempt must read exactly our trade.
    let seen: unknown = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const ts = Date.now();
      const price = 444.44 + attempt / 100;
      const res = await call('/api/v1/ingest/ticks', {
        method: 'POST',
        key: demoKey('ingest'),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ticks: [{ type: 'trade', symbol: 'MSFT', sourceId: `e2e-${ts}-${attempt}`, ts, price, size: 5 }],
        }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
      const quote = (await (await call('/api/v1/quotes/MSFT', { key: demoKey('read') })).json()) as {
        data: { ts: number; last: number };
      };
      seen = quote.data;
      if (quote.data.ts === ts) {
        expect(quote.data.last).toBe(price);
        return;
      }
    }
    throw new Error(`every attempt was overtaken by another writer: ${JSON.stringify(seen)}`);
  });

  it('keeps its data and demo keys when prepared again (a second npm start)', async () => {
    const again = await preparePlatform(inject('persistTo'));
    expect(again.keys.map((k) => k.key)).toEqual(inject('keys').map((k) => k.key));
    expect((await call('/api/v1/symbols', { key: again.keys[0]!.key })).status).toBe(200);
  });
});

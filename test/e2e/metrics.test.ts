import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseExposition, type Sample, sampleSum } from '../../platform/metrics/prometheus-text';
import { call, demoKey } from './helpers';
import { publish, TestSocket } from './stream-support';

const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
// Locally a missing promtool skips the lint with this message; in CI (CI=true) it must run.
const skipLint = !hasPromtool && process.env.CI !== 'true';
if (skipLint)
  console.warn('promtool not found: skipping `promtool check metrics` (install with scripts/ci-deps.sh)');

async function scrapeText(): Promise<string> {
  const res = await call('/metrics', { key: demoKey('admin') });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return res.text();
}

/** Flushes ride on waitUntil; read again until the traffic shows (bounded). */
async function scrapeUntil(done: (s: Sample[]) => boolean): Promise<{ text: string; samples: Sample[] }> {
  for (let i = 0; ; i++) {
    const text = await scrapeText();
    const samples = parseExposition(text);
    if (done(samples) || i >= 40) return { text, samples };
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('/metrics under wrangler dev', () => {
  it('needs a token or an admin key', async () => {
    expect((await call('/metrics')).status).toBe(401);
    expect((await call('/metrics', { key: demoKey('read') })).status).toBe(403);
  });

  it('serves the whole deployment after real traffic, and passes promtool check metrics', async () => {
    const read = demoKey('read');
    const before = parseExposition(await scrapeText());
    const barsBefore = sampleSum(before, 'skippy_http_requests_total', {
      route: '/api/v1/bars/:symbol',
      status_class: '2xx',
    });

    for (const path of [
      '/api/v1/symbols',
      '/api/v1/bars/AAPL?timeframe=1d&limit=50',
      '/api/v1/bars/MSFT?timeframe=1d&limit=50',
    ]) {
      expect((await call(path, { key: read })).status).toBe(200);
    }
    expect((await call('/api/v1/quotes/AAPL', { key: read })).status).toBeLessThan(500);
    expect((await call('/api/v1/bars/NOPE1?timeframe=1d', { key: read })).status).toBeGreaterThanOrEqual(400);
    expect((await call('/api/v1/does-not-exist/7f3a9', { key: read })).status).toBe(404);
    expect((await call('/api/v1/symbols')).status).toBe(401);

    const { text, samples } = await scrapeUntil(
      (s) =>
        sampleSum(s, 'skippy_http_requests_total', { route: '/api/v1/bars/:symbol', status_class: '2xx' }) >=
        barsBefore + 2,
    );
    expect(
      sampleSum(samples, 'skippy_http_requests_total', {
        route: '/api/v1/bars/:symbol',
        status_class: '2xx',
      }),
    ).toBeGreaterThanOrEqual(barsBefore + 2);
    expect(
      sampleSum(samples, 'skippy_http_request_duration_seconds_count', { route: '/api/v1/symbols' }),
    ).toBeGreaterThan(0);
    expect(sampleSum(samples, 'skippy_d1_queries_total')).toBeGreaterThan(0);
    expect(sampleSum(samples, 'skippy_cache_requests_total')).toBeGreaterThan(0);
    const routes = new Set(
      samples.filter((s) => s.name === 'skippy_http_requests_total').map((s) => s.labels.route ?? ''),
    );
    for (const r of routes) expect(r === 'unmatched' || r === '/metrics' || r.startsWith('/api/')).toBe(true);
    expect([...routes].join(' ')).not.toMatch(/NOPE1|7f3a9|AAPL/);

    if (skipLint) return;
    const lint = spawnSync('promtool', ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(lint.error, 'promtool is required in CI: run scripts/ci-deps.sh').toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.status).toBe(0);
  });

  it('counts WebSocket connections, frames in and out and delivery latency from a real socket', async () => {
    const before = parseExposition(await scrapeText());
    const opened = sampleSum(before, 'skippy_ws_connections_opened_total');
    const closed = sampleSum(before, 'skippy_ws_connections_closed_total');
    const inbound = sampleSum(before, 'skippy_ws_messages_total', { direction: 'in' });
    const outbound = sampleSum(before, 'skippy_ws_messages_total', { direction: 'out' });
    const delivered = sampleSum(before, 'skippy_ws_delivery_seconds_count');

    const symbol = 'AAPL';
    const s = await TestSocket.open();
    try {
      // Every channel: the batch's last seq is its forming-bar update.
      s.send({ type: 'subscribe', id: 'm', symbols: [symbol] });
      await s.next('subscriptions', (f) => f.id === 'm');
      await s.next('snapshot', (f) => f.symbol === symbol);
      const { lastSeq } = await publish(symbol, 4);
      await s.untilSeq(symbol, lastSeq);
    } finally {
      s.close();
      await s.closed;
    }

    const { samples } = await scrapeUntil(
      (x) =>
        sampleSum(x, 'skippy_ws_connections_closed_total') > closed &&
        sampleSum(x, 'skippy_ws_delivery_seconds_count') > delivered,
    );
    expect(sampleSum(samples, 'skippy_ws_connections_opened_total')).toBeGreaterThan(opened);
    expect(sampleSum(samples, 'skippy_ws_connections_closed_total')).toBeGreaterThan(closed);
    expect(sampleSum(samples, 'skippy_ws_messages_total', { direction: 'in' })).toBeGreaterThan(inbound);
    // welcome, subscriptions, snapshot and at least one data frame
    expect(sampleSum(samples, 'skippy_ws_messages_total', { direction: 'out' })).toBeGreaterThanOrEqual(
      outbound + 4,
    );
    expect(sampleSum(samples, 'skippy_ws_delivery_seconds_count')).toBeGreaterThan(delivered);
  });
});

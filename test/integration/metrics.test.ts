import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, type Sample, sampleSum } from '../../platform/metrics/prometheus-text';
import { createApp } from '../../workers/app';
import { post } from './backtests-support';
import { api, makeKey, seedSymbols } from './helpers';

let adminKey: string;
let readKey: string;
let tradeKey: string;

beforeAll(async () => {
  await seedSymbols();
  adminKey = await makeKey(['admin']);
  readKey = await makeKey(['read']);
  tradeKey = await makeKey(['read', 'trade']);
});

const DAY = 86_400_000;

/** A deterministic daily walk: `count` bars from 2023-01-02, as D1 rows or inline API bars. */
function walk(count: number) {
  const start = Date.UTC(2023, 0, 2);
  let close = 100;
  return Array.from({ length: count }, (_, i) => {
    const open = close;
    close = open * (1 + 0.02 * Math.sin(i / 3) + 0.001);
    return {
      t: start + i * DAY,
      o: open,
      h: Math.max(open, close) * 1.005,
      l: Math.min(open, close) * 0.995,
      c: close,
      v: 1_000 + i,
    };
  });
}

async function scrape(): Promise<Sample[]> {
  const res = await api('/metrics', { key: adminKey });
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

/** Flushes ride on waitUntil; a scrape may precede the last one, so read again until it lands. */
async function scrapeUntil(done: (s: Sample[]) => boolean): Promise<Sample[]> {
  let samples = await scrape();
  for (let i = 0; i < 40 && !done(samples); i++) {
    await new Promise((r) => setTimeout(r, 50));
    samples = await scrape();
  }
  return samples;
}

describe('/metrics access', () => {
  it('refuses scrapes without credentials, with a non-admin key or a wrong token', async () => {
    const none = await api('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await none.json()) as { error: { code: string; traceId: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.traceId).toBe(none.headers.get('x-trace-id'));
    expect((await api('/metrics', { key: readKey })).status).toBe(403);
    expect((await api('/metrics', { key: 'not-the-token-not-a-key' })).status).toBe(401);
  });

  it('accepts the METRICS_TOKEN secret and an admin key, answering in Prometheus text format', async () => {
    const token = 'metrics-token-for-tests-0123456789';
    const app = createApp();
    const call = async (key: string, metricsToken?: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request('http://skippy.test/metrics', { headers: { authorization: `Bearer ${key}` } }),
        { ...env, METRICS_TOKEN: metricsToken },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    const ok = await call(token, token);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await ok.text()).toContain('# TYPE skippy_http_requests_total counter');
    // The same token is refused when the deployment has no METRICS_TOKEN, and a token-ish
    // prefix of the real one is refused too.
    expect((await call(token)).status).toBe(401);
    expect((await call(token.slice(0, -1), token)).status).toBe(401);
    expect((await call(adminKey, token)).status).toBe(200);
  });
});

describe('metrics after traffic', () => {
  it('counts requests by route pattern, never by raw path, with histograms and D1/cache series', async () => {
    const before = await scrape();
    const symbolsBefore = sampleSum(before, 'skippy_http_requests_total', {
      route: '/api/v1/symbols',
      status_class: '2xx',
    });
    const unmatchedBefore = sampleSum(before, 'skippy_http_requests_total', { route: 'unmatched' });

    for (let i = 0; i < 3; i++) expect((await api('/api/v1/symbols', { key: readKey })).status).toBe(200);
    expect((await api('/api/v1/quotes/AAPL', { key: readKey })).status).toBeLessThan(500);
    expect((await api('/api/v1/bars/ZZZZ9?timeframe=1d', { key: readKey })).status).toBeGreaterThanOrEqual(
      400,
    );
    expect((await api('/no/such/path-1234567', { key: readKey })).status).toBe(404);
    expect((await api('/api/v1/symbols')).status).toBe(401);

    const samples = await scrapeUntil(
      (s) => sampleSum(s, 'skippy_http_requests_total', { route: 'unmatched' }) >= unmatchedBefore + 1,
    );
    const requests = samples.filter((s) => s.name === 'skippy_http_requests_total');
    expect(
      sampleSum(samples, 'skippy_http_requests_total', { route: '/api/v1/symbols', status_class: '2xx' }),
    ).toBeGreaterThanOrEqual(symbolsBefore + 3);
    expect(
      sampleSum(samples, 'skippy_http_requests_total', { route: '/api/v1/symbols', status_class: '4xx' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleSum(samples, 'skippy_http_requests_total', { route: 'unmatched', status_class: '4xx' }),
    ).toBeGreaterThanOrEqual(unmatchedBefore + 1);
    const routes = new Set(requests.map((s) => s.labels.route));
    expect(routes).toContain('/api/v1/bars/:symbol');
    expect(routes).toContain('/api/v1/quotes/:symbol');
    for (const r of routes) {
      expect(r === 'unmatched' || r === '/metrics' || r?.startsWith('/api/')).toBe(true);
      expect(r).not.toMatch(/ZZZZ9|AAPL|1234567/);
    }
    // Every sample also carries the Worker version that recorded it (the release gate compares versions).
    for (const s of requests) {
      expect(Object.keys(s.labels).sort()).toEqual(['method', 'route', 'status_class', 'version']);
      expect(s.labels.version).toBe(env.CF_VERSION_METADATA.id);
    }

    const labels = { method: 'GET', route: '/api/v1/symbols', status_class: '2xx' };
    const buckets = samples.filter(
      (s) =>
        s.name === 'skippy_http_request_duration_seconds_bucket' &&
        s.labels.route === labels.route &&
        s.labels.status_class === '2xx',
    );
    expect(buckets.map((b) => b.labels.le)).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.2',
      '0.3',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.value).toBe(
      sampleSum(samples, 'skippy_http_request_duration_seconds_count', labels),
    );
    expect(sampleSum(samples, 'skippy_http_request_duration_seconds_count', labels)).toBe(
      sampleSum(samples, 'skippy_http_requests_total', labels),
    );

    expect(
      sampleSum(samples, 'skippy_http_errors_total', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleSum(samples, 'skippy_d1_queries_total', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(sampleSum(samples, 'skippy_d1_query_duration_seconds_count')).toBeGreaterThan(0);
    expect(sampleSum(samples, 'skippy_cache_requests_total', { outcome: 'hit' })).toBeGreaterThan(0);
    expect(
      samples.find((s) => s.name === 'skippy_circuit_breaker_state' && s.labels.dependency === 'd1')?.value,
    ).toBe(0);
    expect(sampleSum(samples, 'skippy_metrics_sources')).toBeGreaterThanOrEqual(1);
  });

  it('registers the families other components feed, so dashboards and alerts find them', async () => {
    const res = await api('/metrics', { key: adminKey });
    const text = await res.text();
    for (const family of [
      'skippy_ws_connections_opened_total counter',
      'skippy_ws_messages_total counter',
      'skippy_ws_errors_total counter',
      'skippy_ws_conflations_total counter',
      'skippy_ws_resumes_total counter',
      'skippy_ws_delivery_seconds histogram',
      'skippy_ws_connections_active gauge',
      'skippy_agent_inference_duration_seconds histogram',
      'skippy_agent_inferences_total counter',
      'skippy_backtest_jobs_total counter',
      'skippy_queue_depth gauge',
      'skippy_queue_job_duration_seconds histogram',
      'skippy_queue_messages_total counter',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
  });
});

describe('metrics from backtests and predictions', () => {
  it('counts an inline backtest job and the ensemble and agent inferences of a prediction', async () => {
    const bars = walk(300);
    await env.DB.batch(
      bars.map((b) =>
        env.DB.prepare(
          'INSERT OR REPLACE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
        ).bind('NVDA', '1d', b.t, b.o, b.h, b.l, b.c, b.v),
      ),
    );
    const before = await scrape();
    const inlineBefore = sampleSum(before, 'skippy_backtest_jobs_total', { status: 'inline' });
    const ensembleBefore = sampleSum(before, 'skippy_agent_inferences_total', { agent: 'ensemble' });

    const run = await api(
      '/api/v1/backtests',
      post({ data: { bars: bars.slice(0, 60) }, strategy: { name: 'buy-and-hold', params: {} } }, tradeKey),
    );
    expect(run.status).toBe(201);
    const prediction = await api('/api/v1/predictions/NVDA?horizon=1d', { key: tradeKey });
    expect(prediction.status).toBe(200);

    const samples = await scrapeUntil(
      (s) =>
        sampleSum(s, 'skippy_backtest_jobs_total', { status: 'inline' }) > inlineBefore &&
        sampleSum(s, 'skippy_agent_inferences_total', { agent: 'ensemble' }) > ensembleBefore,
    );
    expect(sampleSum(samples, 'skippy_backtest_jobs_total', { status: 'inline' })).toBe(inlineBefore + 1);
    expect(
      sampleSum(samples, 'skippy_backtest_job_duration_seconds_count', { status: 'inline' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleSum(samples, 'skippy_agent_inferences_total', { agent: 'ensemble' })).toBe(
      ensembleBefore + 1,
    );
    const agents = new Set(
      samples.filter((s) => s.name === 'skippy_agent_inferences_total').map((s) => s.labels.agent),
    );
    expect([...agents].sort()).toEqual(['ensemble', 'learned', 'meanReversion', 'trend', 'volatilityRegime']);
    for (const agent of ['trend', 'meanReversion', 'volatilityRegime', 'learned'])
      expect(sampleSum(samples, 'skippy_agent_inferences_total', { agent })).toBeGreaterThanOrEqual(1);
    expect(
      sampleSum(samples, 'skippy_agent_inference_duration_seconds_count', { agent: 'ensemble' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('Workers Analytics Engine', () => {
  it('writes one data point per request when an ANALYTICS binding exists, and tolerates its absence', async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset: AnalyticsEngineDataset = { writeDataPoint: (p) => void (p && points.push(p)) };
    const app = createApp();
    const traceId = '1234567890abcdef1234567890abcdef';
    const send = async (bindings: Env) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request('http://skippy.test/api/v1/symbols', {
          headers: { authorization: `Bearer ${readKey}`, traceparent: `00-${traceId}-1234567890abcdef-01` },
        }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await send(Object.assign({}, env, { ANALYTICS: dataset }))).status).toBe(200);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({
      indexes: ['/api/v1/symbols'],
      blobs: ['/api/v1/symbols', 'GET', '200', traceId],
      doubles: [expect.any(Number), 200],
    });
    expect((await send(env)).status).toBe(200);
    expect(points).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { parseEquity, parseRun } from '../../dashboard/src/api/backtests-api';
import { toFlag } from '../../dashboard/src/api/flags-api';
import { flagView } from '../../dashboard/src/flags/flag-view';
import { LiveBars } from '../../dashboard/src/markets/live-bars';
import { summarise } from '../../dashboard/src/operations/platform-metrics';
import { eventsFromMessage, eventsFromSnapshot } from '../../dashboard/src/stream/feed-events';
import { histogramQuantile, parseLabels, parsePrometheus } from '../../platform/metrics/prometheus-text';

// The dashboard's pure logic, in Node (no browser needed).

const scrape = (
  requests: number,
  errors: number,
  extra = '',
) => `# HELP skippy_http_requests_total HTTP requests.
# TYPE skippy_http_requests_total counter
skippy_cache_requests_total{cache="quote",outcome="hit"} 999
skippy_http_requests_total{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx"} ${requests - errors}
skippy_http_requests_total{method="GET",route="/api/v1/quotes/:symbol",status_class="5xx"} ${errors}
# TYPE skippy_http_request_duration_seconds histogram
skippy_http_request_duration_seconds_bucket{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx",le="0.01"} 50
skippy_http_request_duration_seconds_bucket{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx",le="0.05"} 90
skippy_http_request_duration_seconds_bucket{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx",le="0.1"} 100
skippy_http_request_duration_seconds_bucket{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx",le="+Inf"} 100
skippy_http_request_duration_seconds_sum{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx"} 1.5
skippy_http_request_duration_seconds_count{method="GET",route="/api/v1/quotes/:symbol",status_class="2xx"} 100
skippy_ws_connections_opened_total 9
skippy_ws_connections_active 3
skippy_queue_depth{queue="skippy-backtests"} 4
skippy_queue_depth{queue="skippy-training"} 1
${extra}`;

describe('Prometheus text parsing', () => {
  it('reads samples, types and escaped labels, skipping junk', () => {
    const exp = parsePrometheus(
      `# TYPE a counter\na{x="1",y="q\\"uote\\\\"} 2.5\nnot a sample\nb +Inf 1700000000\n`,
    );
    expect(exp.types.get('a')).toBe('counter');
    expect(exp.samples).toEqual([
      { name: 'a', labels: { x: '1', y: 'q"uote\\' }, value: 2.5 },
      { name: 'b', labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
    expect(parseLabels('route="/a,b",le="0.5"')).toEqual({ route: '/a,b', le: '0.5' });
  });

  it('interpolates histogram quantiles like histogram_quantile', () => {
    const buckets = [
      { le: 0.01, count: 50 },
      { le: 0.05, count: 90 },
      { le: 0.1, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.075);
    expect(histogramQuantile(0.95, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNull();
  });
});

describe('operations summary', () => {
  it('derives rate, error rate, p95 per route against its SLO, sockets and queue depth', () => {
    const first = summarise(parsePrometheus(scrape(100, 1)), null, 0);
    expect(first.requestRate).toBeNull();
    expect(first.totalRequests).toBe(100);
    expect(first.errorRate).toBeCloseTo(0.01);
    const s = summarise(parsePrometheus(scrape(150, 2)), parsePrometheus(scrape(100, 1)), 5);
    expect(s.requestRate).toBeCloseTo(10);
    expect(s.errorRate).toBeCloseTo(1 / 50);
    expect(s.routes).toEqual([
      { route: '/api/v1/quotes/:symbol', count: 100, p95Ms: expect.closeTo(75, 5), sloMs: 50 },
    ]);
    expect(s.wsConnections).toBe(3);
    expect(s.queues).toEqual([
      { queue: 'skippy-backtests', depth: 4 },
      { queue: 'skippy-training', depth: 1 },
    ]);
  });

  it('derives the share of requests shed as overloaded and the tightest load-shed limit', () => {
    const shed = (refused: number, limits: number[]) =>
      [
        refused > 0 ? `skippy_load_shed_refused_total{guard="api"} ${refused}` : '',
        ...limits.map((l, i) => `skippy_load_shed_limit{guard="api",version="v${i}"} ${l}`),
      ].join('\n');
    // Before any refusal the counter is absent: 0 %, and the limit still shows.
    const quiet = summarise(parsePrometheus(scrape(100, 0, shed(0, [12]))), null, 0);
    expect(quiet.shedRate).toBe(0);
    expect(quiet.shedLimit).toBe(12);
    // 30 of the 50 requests between the scrapes were shed; the tightest of two versions' limits.
    const s = summarise(
      parsePrometheus(scrape(150, 31, shed(30, [12, 5]))),
      parsePrometheus(scrape(100, 1, shed(0, [12]))),
      5,
    );
    expect(s.shedRate).toBeCloseTo(30 / 50);
    expect(s.shedLimit).toBe(5);
    // A first scrape: since start.
    expect(summarise(parsePrometheus(scrape(150, 31, shed(30, [12]))), null, 0).shedRate).toBeCloseTo(0.2);
  });

  it('shows nothing rather than guessing when metrics are absent', () => {
    const s = summarise(parsePrometheus('skippy_build_info{version="1"} 1\n'), null, 0);
    expect(s).toMatchObject({
      requestRate: null,
      totalRequests: null,
      errorRate: null,
      routes: [],
      wsConnections: null,
      queues: [],
      shedRate: null,
      shedLimit: null,
    });
  });
});

describe('live bars', () => {
  const M = 60_000;
  it('folds repeated updates of forming minutes into a 5-minute bar without double counting volume', () => {
    const live = new LiveBars(5 * M);
    live.reset([{ t: 0, o: 10, h: 11, l: 9, c: 10, v: 100 }]);
    live.applyMinuteBar({ t: 5 * M, o: 10, h: 10.5, l: 10, c: 10.2, v: 5 });
    live.applyMinuteBar({ t: 5 * M, o: 10, h: 10.6, l: 10, c: 10.4, v: 8 });
    const bar = live.applyMinuteBar({ t: 6 * M, o: 10.4, h: 10.4, l: 9.8, c: 9.9, v: 2 });
    expect(bar).toEqual({ t: 5 * M, o: 10, h: 10.6, l: 9.8, c: 9.9, v: 10 });
    expect(live.bars).toHaveLength(2);
    expect(live.applyMinuteBar({ t: 0, o: 1, h: 1, l: 1, c: 1, v: 1 })).toBeNull();
  });

  it('moves the forming bar with trades and opens a new bucket', () => {
    const live = new LiveBars(M);
    live.reset([{ t: 0, o: 10, h: 10, l: 10, c: 10, v: 1 }]);
    expect(live.applyTrade(12, 30_000)).toMatchObject({ t: 0, h: 12, c: 12 });
    expect(live.applyTrade(9, 61_000)).toEqual({ t: M, o: 9, h: 9, l: 9, c: 9, v: 0 });
  });
});

describe('stream frames', () => {
  it('maps data messages and snapshots to feed events', () => {
    expect(
      eventsFromMessage({ type: 'trade', symbol: 'AAPL', seq: 3, ts: 5, st: 6, price: 101.5, size: 2 }),
    ).toEqual([{ kind: 'trade', symbol: 'AAPL', price: 101.5, size: 2, ts: 5 }]);
    expect(
      eventsFromMessage({
        type: 'bar',
        symbol: 'AAPL',
        seq: 4,
        ts: 5,
        st: 6,
        tf: '1m',
        t: 0,
        o: 1,
        h: 2,
        l: 0.5,
        c: 1.5,
        v: 9,
        final: true,
      }),
    ).toEqual([
      { kind: 'bar', symbol: 'AAPL', bar: { t: 0, o: 1, h: 2, l: 0.5, c: 1.5, v: 9 }, final: true },
    ]);
    expect(eventsFromMessage({ type: 'mystery', symbol: 'AAPL' })).toEqual([]);
    const snap = eventsFromSnapshot({
      type: 'snapshot',
      symbol: 'AAPL',
      seq: 7,
      reset: true,
      quote: { last: 100, prevClose: 99 },
      bars: [{ time: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }],
      forming: { time: 60_000, open: 1, high: 2, low: 1, close: 2, volume: 3 },
    });
    expect(snap.map((e) => e.kind)).toEqual(['snapshot', 'bar', 'bar']);
    expect(snap[0]).toMatchObject({ reset: true, quote: { last: 100 } });
  });
});

describe('backtest answers', () => {
  it('normalises jobs and inline answers of schema/contracts/backtests.ts', () => {
    const job = {
      id: 'bt_1',
      status: 'queued',
      mode: 'queued',
      progress: 0.25,
      strategy: 'sma-cross',
      bars: 500,
      tradeCount: null,
      error: null,
      createdAt: '2026-01-01T00:00:00Z',
      stats: null,
    };
    expect(parseRun(job)).toMatchObject({
      id: 'bt_1',
      status: 'queued',
      progress: 0.25,
      strategy: 'sma-cross',
      bars: 500,
      inline: null,
    });
    const inline = parseRun({
      ...job,
      status: 'completed',
      progress: 1,
      stats: { 'Return [%]': 3.2 },
      trades: [
        {
          size: 10,
          entryPrice: 1,
          exitPrice: 2,
          pnl: null,
          returnPct: 1,
          entryTime: '2026-01-02T00:00:00Z',
          exitTime: '2026-01-03T00:00:00Z',
        },
      ],
      tradesTruncated: false,
      equity: { t: [1, 2, 3], v: [100, 120, 90] },
    });
    expect(inline).toMatchObject({ status: 'completed', stats: { 'Return [%]': 3.2 } });
    expect(inline.inline?.trades[0]).toMatchObject({ size: 10, pnl: null });
    expect(inline.inline?.equity.map((p) => p.drawdown)).toEqual([0, 0, 0.25]);
    expect(() => parseRun({ status: 'queued' })).toThrow(/id/);
  });

  it('reads the equity endpoint and point lists', () => {
    expect(parseEquity({ id: 'bt_1', points: 2, equity: { t: [1, 2], v: [5, null] } })).toEqual([
      { t: 1, equity: 5, drawdown: 0 },
    ]);
    const iso = '2026-01-02T00:00:00.000Z';
    expect(parseEquity({ data: [{ t: iso, equity: 10_000, drawdown: 0.1 }] })).toEqual([
      { t: Date.parse(iso), equity: 10_000, drawdown: 0.1 },
    ]);
  });
});

describe('feature flags', () => {
  const flag = (value: boolean | string, variant: string, reason: string) =>
    toFlag({ key: 'k', description: 'd', value, variant, reason });

  it('reads a boolean flag as on or off by its value', () => {
    expect(flagView(flag(true, 'on', 'STATIC'))).toEqual({ on: true, state: 'on', why: 'set for every key' });
    expect(flagView(flag(false, 'off', 'DISABLED')).on).toBe(false);
    // Disabled flags serve their default, which may be `on`.
    expect(flagView(flag(true, 'on', 'DISABLED')).on).toBe(true);
    expect(flagView(flag(false, 'off', 'SPLIT')).why).toBe('percentage rollout');
  });

  it('reads a variant flag as on when its stored state applies to the key', () => {
    expect(flagView(flag('queued', 'queued', 'STATIC')).on).toBe(true);
    expect(flagView(flag('auto', 'auto', 'DISABLED')).on).toBe(false);
  });

  it('rejects flags the panel cannot show', () => {
    expect(() => toFlag({ key: 'k', value: true, variant: 'on', reason: 'MAYBE' })).toThrow();
    expect(() => toFlag({ key: 'k', value: null, variant: 'on', reason: 'STATIC' })).toThrow();
    expect(toFlag({ key: 'k', value: 1, variant: 'one', reason: 'STATIC' }).description).toBe('');
  });
});

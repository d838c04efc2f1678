import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../../platform/metrics/families';
import { MetricsStore } from '../../platform/metrics/store';
import { decide } from '../../scripts/lib/release-gate';

/**
 * Metric series recorded the way the aggregator renders them: batches from each version's
 * isolates applied to a real MetricsStore, scraped (rendered) at the start and end of a window.
 */
const OLD = '00000000-0000-4000-8000-0000000000aa';
const NEW = '00000000-0000-4000-8000-000000000001';

interface Traffic {
  requests: number;
  errors: number;
  /** Latency in ms of every predictions request. */
  predictionsMs: number;
  predictions: number;
  wsMs?: number;
  ws?: number;
}

function buckets(ms: number, n: number): number[] {
  const b = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  const i = LATENCY_BUCKETS.findIndex((le) => ms / 1000 <= le);
  b[i < 0 ? LATENCY_BUCKETS.length : i] = n;
  return b;
}

let seq = 0;
function record(store: MetricsStore, version: string, t: Traffic): void {
  const route = '/api/v1/predictions/:symbol';
  store.apply(
    {
      source: `src-${version}`,
      seq: ++seq,
      version,
      counters: [
        {
          n: 'skippy_http_requests_total',
          l: ['GET', '/api/v1/quotes/:symbol', '2xx'],
          v: t.requests - t.errors,
        },
        ...(t.errors > 0
          ? [{ n: 'skippy_http_requests_total', l: ['GET', '/api/v1/quotes/:symbol', '5xx'], v: t.errors }]
          : []),
      ],
      histograms: [
        ...(t.predictions > 0
          ? [
              {
                n: 'skippy_http_request_duration_seconds',
                l: ['GET', route, '2xx'],
                b: buckets(t.predictionsMs, t.predictions),
                s: (t.predictionsMs / 1000) * t.predictions,
                c: t.predictions,
              },
            ]
          : []),
        ...(t.ws
          ? [{ n: 'skippy_ws_delivery_seconds', l: [], b: buckets(t.wsMs ?? 1, t.ws), s: 0, c: t.ws }]
          : []),
      ],
      gauges: [],
    },
    Date.now(),
  );
}

/** A window: history before it, then the window's traffic; returns [start scrape, end scrape]. */
function windowOf(before: Record<string, Traffic>, during: Record<string, Traffic>): [string, string] {
  const store = new MetricsStore();
  for (const [v, t] of Object.entries(before)) record(store, v, t);
  const start = store.render(Date.now());
  for (const [v, t] of Object.entries(during)) record(store, v, t);
  return [start, store.render(Date.now())];
}

const healthy: Traffic = {
  requests: 1_000,
  errors: 2,
  predictionsMs: 80,
  predictions: 200,
  wsMs: 8,
  ws: 500,
};
const versions = { candidate: NEW, baseline: OLD };

describe('release gate (scripts/lib/release-gate.ts) on recorded metric series', () => {
  it('promotes when the new version meets every SLO', () => {
    const [a, b] = windowOf(
      { [OLD]: healthy },
      { [OLD]: healthy, [NEW]: { ...healthy, requests: 60, errors: 0 } },
    );
    const g = decide(a, b, versions);
    expect(g.decision).toBe('promote');
    expect(g.results.find((r) => r.slo === 'error-rate')?.status).toBe('pass');
  });

  it('rolls back on the error rate and says by how much', () => {
    const [a, b] = windowOf(
      { [OLD]: healthy },
      { [OLD]: healthy, [NEW]: { ...healthy, requests: 200, errors: 10 } },
    );
    const g = decide(a, b, versions);
    expect(g.decision).toBe('rollback');
    const r = g.results.find((x) => x.slo === 'error-rate');
    expect(r?.status).toBe('fail');
    expect(r?.candidate).toBeCloseTo(0.05);
    expect(g.summary).toContain('5xx ratio of all requests 5.00 % breaks the objective 1.00 % by 4.00 %');
  });

  it('rolls back on predictions p95 above 200 ms when the old version is faster', () => {
    const [a, b] = windowOf(
      { [OLD]: healthy },
      { [OLD]: healthy, [NEW]: { ...healthy, predictionsMs: 450, predictions: 100 } },
    );
    const g = decide(a, b, versions);
    expect(g.decision).toBe('rollback');
    expect(g.results.find((r) => r.slo === 'predictions-p95')).toMatchObject({ status: 'fail' });
    expect(g.summary).toMatch(/p95 of predictions \d+ ms breaks the objective 200 ms/);
  });

  it('does not blame the new version for what the old one does as badly (both over the objective)', () => {
    const slow = { ...healthy, predictionsMs: 450 };
    const [a, b] = windowOf({ [OLD]: slow }, { [OLD]: slow, [NEW]: slow });
    expect(decide(a, b, versions).decision).toBe('promote');
  });

  it('holds while the new version has too little traffic (missing data), and ignores SLOs nobody exercised', () => {
    const [a, b] = windowOf(
      { [OLD]: healthy },
      { [OLD]: healthy, [NEW]: { requests: 10, errors: 0, predictionsMs: 1, predictions: 0 } },
    );
    const g = decide(a, b, versions);
    expect(g.decision).toBe('hold');
    expect(g.summary).toContain('not enough traffic on the new version');
    expect(g.results.find((r) => r.slo === 'backtests-p95')?.status).toBe('no-data');
  });

  it('holds when the scrape has no samples of the new version at all', () => {
    const [a, b] = windowOf({ [OLD]: healthy }, { [OLD]: healthy });
    expect(decide(a, b, versions).decision).toBe('hold');
  });

  it('rolls back on WebSocket delivery p95', () => {
    const [a, b] = windowOf(
      { [OLD]: healthy },
      { [OLD]: healthy, [NEW]: { ...healthy, wsMs: 250, ws: 400 } },
    );
    const g = decide(a, b, versions);
    expect(g.decision).toBe('rollback');
    expect(g.results.find((r) => r.slo === 'ws-delivery-p95')?.status).toBe('fail');
  });
});

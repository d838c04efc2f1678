import { histogramQuantile, parseExposition, type Sample } from '../../platform/metrics/prometheus-text';

/**
 * The release gate, pure: from two scrapes of `/metrics` (the start and the end of an observation
 * window, every sample labelled with the Worker `version` that recorded it) it compares the new
 * version with the old one on each SLO and decides to promote, hold (not enough traffic yet) or
 * roll back, saying which SLO failed and by how much. No I/O: scripts/release.ts scrapes and acts.
 */
export interface Slo {
  id: string;
  description: string;
  /** The objective: a 5xx ratio, or a p95 in seconds (a histogram bucket bound, as in ops/alerts.yml). */
  objective: number;
  kind: 'error-ratio' | 'p95';
  family: string;
  /** Label filters; a route list matches any of its routes. */
  match?: Record<string, string | string[]>;
  /** Fewest requests/observations in the window before the SLO counts (below: no data). */
  minCount: number;
  /** Without data for this SLO the gate holds; others are skipped (no traffic of that kind). */
  required?: boolean;
}

export const SLOS: readonly Slo[] = [
  {
    id: 'error-rate',
    description: '5xx ratio of all requests',
    objective: 0.01,
    kind: 'error-ratio',
    family: 'skippy_http_requests_total',
    minCount: 50,
    required: true,
  },
  {
    id: 'predictions-p95',
    description: 'p95 of predictions',
    objective: 0.2,
    kind: 'p95',
    family: 'skippy_http_request_duration_seconds',
    match: { route: '/api/v1/predictions/:symbol', status_class: '2xx' },
    minCount: 20,
  },
  {
    id: 'backtests-p95',
    description: 'p95 of backtests',
    objective: 1,
    kind: 'p95',
    family: 'skippy_http_request_duration_seconds',
    match: { route: '/api/v1/backtests', method: 'POST', status_class: '2xx' },
    minCount: 20,
  },
  {
    id: 'market-data-p95',
    description: 'p95 of market data',
    objective: 0.1,
    kind: 'p95',
    family: 'skippy_http_request_duration_seconds',
    match: {
      route: ['/api/v1/quotes/:symbol', '/api/v1/bars/:symbol', '/api/v1/symbols', '/api/v1/symbols/:symbol'],
      status_class: '2xx',
    },
    minCount: 20,
  },
  {
    id: 'ws-delivery-p95',
    description: 'p95 of WebSocket delivery',
    objective: 0.05,
    kind: 'p95',
    family: 'skippy_ws_delivery_seconds',
    minCount: 100,
  },
];

export interface GateOptions {
  /** How much worse than the old version the new one may be before it fails (0.2 = 20 %). */
  tolerance: number;
}
export const DEFAULT_GATE: GateOptions = { tolerance: 0.2 };

export type SloStatus = 'pass' | 'fail' | 'no-data';
export interface SloResult {
  slo: string;
  status: SloStatus;
  /** The new and old versions' values in the window (null: not enough data). */
  candidate: number | null;
  baseline: number | null;
  objective: number;
  message: string;
}
export interface GateDecision {
  decision: 'promote' | 'hold' | 'rollback';
  results: SloResult[];
  summary: string;
}

function matches(s: Sample, version: string, match: Slo['match']): boolean {
  if (s.labels.version !== version) return false;
  for (const [k, want] of Object.entries(match ?? {})) {
    const got = s.labels[k];
    if (got === undefined || (Array.isArray(want) ? !want.includes(got) : got !== want)) return false;
  }
  return true;
}

/** Sum of the samples in the window (end minus start; a reset series counts from zero). */
function windowSum(start: Sample[], end: Sample[], pick: (s: Sample) => boolean): number {
  const key = (s: Sample) => `${s.name}${JSON.stringify(s.labels)}`;
  const before = new Map(start.filter(pick).map((s) => [key(s), s.value]));
  let sum = 0;
  for (const s of end.filter(pick)) {
    const b = before.get(key(s)) ?? 0;
    sum += s.value >= b ? s.value - b : s.value;
  }
  return sum;
}

/** The SLO's value for one version in the window, with the count it rests on. */
export function measure(
  slo: Slo,
  start: Sample[],
  end: Sample[],
  version: string,
): { value: number | null; count: number } {
  if (slo.kind === 'error-ratio') {
    const all = windowSum(start, end, (s) => s.name === slo.family && matches(s, version, slo.match));
    const errors = windowSum(
      start,
      end,
      (s) => s.name === slo.family && s.labels.status_class === '5xx' && matches(s, version, slo.match),
    );
    return { value: all >= slo.minCount ? errors / all : null, count: all };
  }
  const bucketName = `${slo.family}_bucket`;
  const les = new Set<string>();
  for (const s of end)
    if (s.name === bucketName && matches(s, version, slo.match)) les.add(s.labels.le ?? '');
  const buckets = [...les].map((le) => ({
    le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
    count: windowSum(
      start,
      end,
      (s) => s.name === bucketName && s.labels.le === le && matches(s, version, slo.match),
    ),
  }));
  const count = buckets.find((b) => b.le === Number.POSITIVE_INFINITY)?.count ?? 0;
  return { value: count >= slo.minCount ? histogramQuantile(0.95, buckets) : null, count };
}

const fmt = (slo: Slo, v: number) =>
  slo.kind === 'error-ratio' ? `${(v * 100).toFixed(2)} %` : `${(v * 1000).toFixed(0)} ms`;

/** One SLO: the new version fails when it breaks the objective and is worse than the old by more than the tolerance. */
export function judge(
  slo: Slo,
  candidate: number | null,
  baseline: number | null,
  opts: GateOptions,
): SloResult {
  const base = { slo: slo.id, candidate, baseline, objective: slo.objective };
  if (candidate === null)
    return {
      ...base,
      status: 'no-data',
      message: `${slo.description}: not enough traffic on the new version yet`,
    };
  const limit = Math.max(slo.objective, baseline === null ? 0 : baseline * (1 + opts.tolerance));
  const vsOld =
    baseline === null
      ? 'no data on the old version'
      : baseline === 0
        ? `old ${fmt(slo, baseline)}`
        : `old ${fmt(slo, baseline)}, ${candidate >= baseline ? '+' : ''}${(((candidate - baseline) / baseline) * 100).toFixed(0)} %`;
  if (candidate > limit) {
    const over = candidate - slo.objective;
    return {
      ...base,
      status: 'fail',
      message: `${slo.description} ${fmt(slo, candidate)} breaks the objective ${fmt(slo, slo.objective)} by ${fmt(slo, over)} (${vsOld})`,
    };
  }
  return { ...base, status: 'pass', message: `${slo.description} ${fmt(slo, candidate)} (${vsOld})` };
}

/** The gate: compare `candidate` with `baseline` over the window between two scrapes. */
export function decide(
  startText: string,
  endText: string,
  versions: { candidate: string; baseline: string },
  opts: GateOptions = DEFAULT_GATE,
  slos: readonly Slo[] = SLOS,
): GateDecision {
  const start = parseExposition(startText);
  const end = parseExposition(endText);
  const results = slos.map((slo) =>
    judge(
      slo,
      measure(slo, start, end, versions.candidate).value,
      measure(slo, start, end, versions.baseline).value,
      opts,
    ),
  );
  const failed = results.filter((r) => r.status === 'fail');
  if (failed.length > 0)
    return {
      decision: 'rollback',
      results,
      summary: `SLO failed: ${failed.map((r) => r.message).join('; ')}`,
    };
  const missing = results.filter((r, i) => r.status === 'no-data' && slos[i]?.required);
  if (missing.length > 0)
    return { decision: 'hold', results, summary: `Holding: ${missing.map((r) => r.message).join('; ')}` };
  return {
    decision: 'promote',
    results,
    summary: `Every SLO within bounds: ${results
      .filter((r) => r.status === 'pass')
      .map((r) => r.message)
      .join('; ')}`,
  };
}

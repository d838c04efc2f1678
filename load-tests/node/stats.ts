/** Latency and error summaries for the Node load harness. */
export interface Outcome {
  ms: number;
  status: number;
  /** Marked stale by the API (served from cache while the source failed). */
  stale?: boolean;
}

export interface Summary {
  count: number;
  ok: number;
  serverErrors: number;
  /** Transport failures and timeouts (status 0). */
  failed: number;
  stale: number;
  dropped: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentile of sorted values (NaN for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export function summarize(outcomes: readonly Outcome[], dropped = 0): Summary {
  const sorted = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return {
    count: outcomes.length,
    ok: outcomes.filter((o) => o.status >= 200 && o.status < 400).length,
    serverErrors: outcomes.filter((o) => o.status >= 500).length,
    failed: outcomes.filter((o) => o.status === 0).length,
    stale: outcomes.filter((o) => o.stale).length,
    dropped,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/** Errors that count against an SLO: 5xx and transport failures. */
export function errorRate(s: Summary): number {
  return s.count === 0 ? 0 : (s.serverErrors + s.failed) / s.count;
}

/**
 * p95 latency objectives per route pattern, in milliseconds, first match wins. They mirror
 * the API SLOs the load tests check; change them together.
 */
export const P95_SLOS_MS: Array<{ match: RegExp; ms: number; label: string }> = [
  { match: /^\/api\/health/, ms: 50, label: 'health' },
  { match: /^\/api\/v1\/quotes/, ms: 50, label: 'quotes' },
  { match: /^\/api\/v1\/symbols/, ms: 50, label: 'symbols' },
  { match: /^\/api\/v1\/bars/, ms: 100, label: 'bars' },
  { match: /^\/api\/v1\/predictions/, ms: 250, label: 'predictions' },
  { match: /^\/api\/v1\/backtests/, ms: 1000, label: 'backtests' },
  { match: /^\/api\/v1\/ingest/, ms: 200, label: 'ingest' },
  { match: /^\/api\/v1\/stream/, ms: 100, label: 'stream' },
  { match: /./, ms: 250, label: 'default' },
];

/** Error-rate objective: the share of 5xx responses. */
export const ERROR_RATE_SLO = 0.01;

/** Share of requests shed as overloaded above which ops/alerts.yml raises SkippyLoadShedding. */
export const SHED_RATE_ALERT = 0.01;

export function sloFor(route: string): number {
  return P95_SLOS_MS.find((s) => s.match.test(route))?.ms ?? 250;
}

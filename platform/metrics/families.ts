/**
 * Every metric family the platform exposes, declared once. Recording code can only name a
 * family listed here and must give exactly its labels, so the exposition stays bounded and
 * `/metrics` documents itself. Durations are recorded in milliseconds and exposed in seconds.
 */
export type FamilyType = 'counter' | 'histogram' | 'gauge';

/** How the aggregator combines one gauge reported by many isolates and objects. */
export type GaugeAggregation = 'sum' | 'max' | 'min' | 'last';

export interface FamilyDef {
  type: FamilyType;
  help: string;
  labels: readonly string[];
  /** Upper bounds in seconds (histograms only); chosen so every SLO threshold is a bucket bound. */
  buckets?: readonly number[];
  aggregation?: GaugeAggregation;
}

/** Request-scale latencies: 50 ms (WebSocket delivery), 200 ms (predictions) and 1 s (backtests) are bounds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10] as const;
/** Job-scale durations (queue consumers, queued backtests). */
export const JOB_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

export const FAMILIES = {
  skippy_http_requests_total: {
    type: 'counter',
    help: 'HTTP requests by method, route pattern and status class.',
    labels: ['method', 'route', 'status_class'],
  },
  skippy_http_request_duration_seconds: {
    type: 'histogram',
    help: 'HTTP request duration (Worker wall time until the response is ready).',
    labels: ['method', 'route', 'status_class'],
    buckets: LATENCY_BUCKETS,
  },
  skippy_http_errors_total: {
    type: 'counter',
    help: 'HTTP responses with status >= 400 by method, route pattern and status.',
    labels: ['method', 'route', 'status'],
  },
  skippy_d1_query_duration_seconds: {
    type: 'histogram',
    help: 'D1 call duration by operation (including the circuit breaker and injected faults).',
    labels: ['op', 'outcome'],
    buckets: LATENCY_BUCKETS,
  },
  skippy_d1_queries_total: {
    type: 'counter',
    help: 'D1 calls by operation and outcome.',
    labels: ['op', 'outcome'],
  },
  skippy_cache_requests_total: {
    type: 'counter',
    help: 'Cache lookups by cache name and outcome (hit, miss, stale).',
    labels: ['cache', 'outcome'],
  },
  skippy_circuit_breaker_state: {
    type: 'gauge',
    help: 'Worst circuit breaker state over isolates: 0 closed, 1 half-open, 2 open.',
    labels: ['dependency'],
    aggregation: 'max',
  },
  skippy_load_shed_limit: {
    type: 'gauge',
    help: 'Tightest load-shed limit over isolates: LOAD_SHED_MAX_INFLIGHT, lower while requests run slower than LOAD_SHED_TARGET_MS.',
    labels: ['guard'],
    aggregation: 'min',
  },
  skippy_load_shed_in_flight: {
    type: 'gauge',
    help: "Requests holding a load-shed slot, summed over isolates (each isolate's last report).",
    labels: ['guard'],
    aggregation: 'sum',
  },
  skippy_load_shed_waiting: {
    type: 'gauge',
    help: "Requests waiting for a load-shed slot, summed over isolates (each isolate's last report).",
    labels: ['guard'],
    aggregation: 'sum',
  },
  skippy_load_shed_refused_total: {
    type: 'counter',
    help: 'Requests refused by load shedding (answered 503 overloaded with Retry-After).',
    labels: ['guard'],
  },
  skippy_circuit_breaker_transitions_total: {
    type: 'counter',
    help: 'Circuit breaker state changes.',
    labels: ['dependency'],
  },
  skippy_ws_connections_opened_total: {
    type: 'counter',
    help: 'WebSocket connections accepted.',
    labels: [],
  },
  skippy_ws_connections_closed_total: { type: 'counter', help: 'WebSocket connections closed.', labels: [] },
  skippy_ws_messages_total: {
    type: 'counter',
    help: 'WebSocket messages by direction (in from clients, out to clients).',
    labels: ['direction'],
  },
  skippy_ws_errors_total: { type: 'counter', help: 'WebSocket errors by kind.', labels: ['kind'] },
  skippy_ws_conflations_total: {
    type: 'counter',
    help: 'Messages conflated (replaced by a newer one) for slow consumers.',
    labels: [],
  },
  skippy_ws_resumes_total: {
    type: 'counter',
    help: 'Reconnects with a last seq, by outcome (replayed or reset).',
    labels: ['outcome'],
  },
  skippy_ws_delivery_seconds: {
    type: 'histogram',
    help: 'Time from a message entering its room to being sent on a socket.',
    labels: [],
    buckets: LATENCY_BUCKETS,
  },
  skippy_agent_inference_duration_seconds: {
    type: 'histogram',
    help: 'Prediction agent inference duration by agent.',
    labels: ['agent'],
    buckets: LATENCY_BUCKETS,
  },
  skippy_agent_inferences_total: {
    type: 'counter',
    help: 'Prediction agent inferences by agent and outcome.',
    labels: ['agent', 'outcome'],
  },
  skippy_backtest_jobs_total: {
    type: 'counter',
    help: 'Backtest jobs by status reached.',
    labels: ['status'],
  },
  skippy_backtest_job_duration_seconds: {
    type: 'histogram',
    help: 'Backtest run duration by final status.',
    labels: ['status'],
    buckets: JOB_BUCKETS,
  },
  skippy_queue_depth: {
    type: 'gauge',
    help: 'Messages waiting in a queue (latest report).',
    labels: ['queue'],
    aggregation: 'last',
  },
  skippy_queue_messages_total: {
    type: 'counter',
    help: 'Queue messages handled by queue and outcome (ack, retry, poison, dead_letter).',
    labels: ['queue', 'outcome'],
  },
  skippy_queue_job_duration_seconds: {
    type: 'histogram',
    help: 'Queue message processing duration by queue.',
    labels: ['queue'],
    buckets: JOB_BUCKETS,
  },
} as const satisfies Record<string, FamilyDef>;

export type FamilyName = keyof typeof FAMILIES;
type NamesOf<T extends FamilyType> = {
  [K in FamilyName]: (typeof FAMILIES)[K]['type'] extends T ? K : never;
}[FamilyName];
export type CounterName = NamesOf<'counter'>;
export type HistogramName = NamesOf<'histogram'>;
export type GaugeName = NamesOf<'gauge'>;
/** The exact label set of family `N`. */
export type LabelsOf<N extends FamilyName> = { [L in (typeof FAMILIES)[N]['labels'][number]]: string };

export function isFamilyName(name: string): name is FamilyName {
  return Object.hasOwn(FAMILIES, name);
}

/** The family's definition, widened so callers can read optional fields. */
export function familyDef(name: FamilyName): FamilyDef {
  return FAMILIES[name];
}

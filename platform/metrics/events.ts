import { metrics } from './recorder';

/**
 * Purpose-named recording functions: the stable API other modules call (see ops/README.md).
 * Durations are milliseconds. Each call is a synchronous map update; flushing happens elsewhere.
 */

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}

/** One HTTP request; `route` must be a route pattern (the middleware guarantees it). */
export function recordHttpRequest(method: string, route: string, status: number, ms: number): void {
  const m = METHODS.has(method) ? method : 'OTHER';
  const labels = { method: m, route, status_class: statusClass(status) };
  metrics.counter('skippy_http_requests_total', labels).inc();
  metrics.histogram('skippy_http_request_duration_seconds', labels).observe(ms);
  if (status >= 400)
    metrics.counter('skippy_http_errors_total', { method: m, route, status: String(status) }).inc();
}

/** One D1 call; `op` is a bounded name such as `bars.select`. */
export function recordD1(op: string, ms: number, ok: boolean): void {
  const labels = { op, outcome: ok ? 'ok' : 'error' };
  metrics.counter('skippy_d1_queries_total', labels).inc();
  metrics.histogram('skippy_d1_query_duration_seconds', labels).observe(ms);
}

export function recordCache(cache: string, outcome: 'hit' | 'miss' | 'stale'): void {
  metrics.counter('skippy_cache_requests_total', { cache, outcome }).inc();
}

/** A WebSocket accepted (`open`) or closed (`close`); the active gauge is opened − closed. */
export function recordWsConnection(event: 'open' | 'close', count = 1): void {
  metrics
    .counter(
      event === 'open' ? 'skippy_ws_connections_opened_total' : 'skippy_ws_connections_closed_total',
      {},
    )
    .inc(count);
}

/** Messages received from (`in`) or sent to (`out`) clients. */
export function recordWsMessage(direction: 'in' | 'out', count = 1): void {
  metrics.counter('skippy_ws_messages_total', { direction }).inc(count);
}

/** A WebSocket error; `kind` is a short fixed word such as `parse`, `send`, `slow_consumer`. */
export function recordWsError(kind: string): void {
  metrics.counter('skippy_ws_errors_total', { kind }).inc();
}

export function recordWsConflation(count = 1): void {
  metrics.counter('skippy_ws_conflations_total', {}).inc(count);
}

/** A reconnect with a last seq: `replayed` from the ring, or `reset` with a fresh snapshot. */
export function recordWsResume(outcome: 'replayed' | 'reset'): void {
  metrics.counter('skippy_ws_resumes_total', { outcome }).inc();
}

/** Delivery latency of one message: send time minus the message's server timestamp. */
export function recordWsDelivery(ms: number): void {
  metrics.histogram('skippy_ws_delivery_seconds', {}).observe(ms);
}

/** One agent inference: its latency and whether it produced a vote (`ok`), abstained or failed. */
export function recordInference(agent: string, ms: number, outcome: 'ok' | 'abstain' | 'error'): void {
  metrics.counter('skippy_agent_inferences_total', { agent, outcome }).inc();
  metrics.histogram('skippy_agent_inference_duration_seconds', { agent }).observe(ms);
}

export type BacktestJobStatus = 'inline' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A backtest job reached `status`; give `ms` for final states (`inline`, `completed`, `failed`). */
export function recordBacktestJob(status: BacktestJobStatus, ms?: number): void {
  metrics.counter('skippy_backtest_jobs_total', { status }).inc();
  if (ms !== undefined) metrics.histogram('skippy_backtest_job_duration_seconds', { status }).observe(ms);
}

/** The latest known depth of `queue` (the newest report over all isolates wins). */
export function recordQueueDepth(queue: string, depth: number): void {
  metrics.gauge('skippy_queue_depth', { queue }).set(depth);
}

export type QueueOutcome = 'ack' | 'retry' | 'poison' | 'dead_letter';

/** One queue message handled; `dead_letter` is what a dead-letter consumer records per message. */
export function recordQueueMessage(queue: string, outcome: QueueOutcome, ms?: number): void {
  metrics.counter('skippy_queue_messages_total', { queue, outcome }).inc();
  if (ms !== undefined) metrics.histogram('skippy_queue_job_duration_seconds', { queue }).observe(ms);
}

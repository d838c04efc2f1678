import { allBreakers, type BreakerState } from '../d1/circuit-breaker';
import { type InFlightGuard, reportedGuards } from '../load-shed';
import { createLogger } from '../logger';
import { setObserver } from '../observe';
import { workerVersion } from '../worker-version';
import type { MetricsBatch } from './batch';
import { recordCache, recordD1 } from './events';
import { metrics, pendingObservations, takeBatch } from './recorder';

/**
 * Ships the isolate's measurements to the aggregating Durable Object (`idFromName('global')`).
 * At most one batch is in flight per isolate, a failed batch is resent unchanged (same `seq`)
 * before anything newer, and the aggregator ignores a `seq` it has already applied: a lost
 * flush is retried and a duplicated one is not counted twice. What dies with an isolate before
 * its next flush (under ~1 s of counts) is lost; that is the trade-off of batching.
 */
export const FLUSH_INTERVAL_MS = 1_000;
export const FLUSH_MAX_OBSERVATIONS = 500;
/** A flight older than this is presumed dead (its request context was cancelled). */
const STUCK_MS = 10_000;
export const AGGREGATOR_NAME = 'global';

let source: string | null = null;
let nextSeq = 1;
let unacked: MetricsBatch | null = null;
let inFlightSince = 0;
let flightToken = 0;
let lastFlushAt = 0;
const reportedTransitions = new Map<string, number>();

const BREAKER_LEVEL: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Registers the recorder behind the service hooks (`observeD1`, `observeCache`). Idempotent. */
export function installMetrics(): void {
  setObserver({ d1: recordD1, cache: recordCache });
}

function sourceId(): string {
  // Random values are only available inside a request, hence lazily.
  source ??= `src-${crypto.randomUUID()}`;
  return source;
}

function collectBreakers(): void {
  for (const b of allBreakers()) {
    metrics.gauge('skippy_circuit_breaker_state', { dependency: b.name }).set(BREAKER_LEVEL[b.state]);
    const delta = b.transitions - (reportedTransitions.get(b.name) ?? 0);
    if (delta > 0)
      metrics.counter('skippy_circuit_breaker_transitions_total', { dependency: b.name }).inc(delta);
    reportedTransitions.set(b.name, b.transitions);
  }
}

/** Refusals already counted per guard (a guard rebuilt for a new config starts from zero). */
const reportedRefusals = new WeakMap<InFlightGuard, number>();

function collectLoadShed(): void {
  for (const [name, g] of reportedGuards()) {
    const labels = { guard: name };
    metrics.gauge('skippy_load_shed_limit', labels).set(g.limit);
    metrics.gauge('skippy_load_shed_in_flight', labels).set(g.inFlight);
    metrics.gauge('skippy_load_shed_waiting', labels).set(g.waiting);
    const delta = g.shed - (reportedRefusals.get(g) ?? 0);
    if (delta > 0) metrics.counter('skippy_load_shed_refused_total', labels).inc(delta);
    reportedRefusals.set(g, g.shed);
  }
}

/** The one aggregating object's stub: the metrics family's only `idFromName` (the platform owns metrics). */
export function aggregator(env: Env) {
  return env.METRICS.get(env.METRICS.idFromName(AGGREGATOR_NAME));
}

async function send(env: Env, batch: MetricsBatch): Promise<void> {
  const result = await aggregator(env).ingest(batch);
  if (!result.ok) throw new Error(`aggregator rejected batch ${batch.seq}`);
  if (unacked?.seq === batch.seq) unacked = null;
}

function flightBusy(now: number): boolean {
  return inFlightSince !== 0 && now - inFlightSince < STUCK_MS;
}

/** Resends the unacknowledged batch, then sends what accumulated since. Never throws. */
async function flush(env: Env): Promise<void> {
  const now = Date.now();
  const token = ++flightToken;
  inFlightSince = now;
  lastFlushAt = now;
  try {
    if (unacked) await send(env, unacked);
    collectBreakers();
    collectLoadShed();
    const batch = takeBatch(sourceId(), nextSeq, workerVersion(env).id);
    if (batch) {
      nextSeq++;
      unacked = batch;
      await send(env, batch);
    }
  } catch (err) {
    createLogger({}).warn('metrics flush failed; will resend', { error: String(err), seq: unacked?.seq });
  } finally {
    // A flight presumed dead that finishes late must not release the flight that replaced it.
    if (flightToken === token) inFlightSince = 0;
  }
}

/**
 * Call after recording (the HTTP middleware does, so do Durable Objects and consumers that
 * record): flushes through `waitUntil` when ~1 s has passed or enough observations piled up.
 */
export function flushSoon(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  const now = Date.now();
  if (flightBusy(now)) return;
  if (now - lastFlushAt < FLUSH_INTERVAL_MS && pendingObservations() < FLUSH_MAX_OBSERVATIONS) return;
  waitUntil(flush(env));
}

/**
 * Flushes now (the scrape, the cron, the end of a queue batch). When another flight is under
 * way it returns at once: that flight carries the data and batches must stay ordered.
 */
export async function flushNow(env: Env): Promise<void> {
  if (flightBusy(Date.now())) return;
  await flush(env);
}

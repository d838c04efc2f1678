import { BacktestInputError } from '../../engine/backtest/errors';
import { currentFaults, InjectedFault } from '../../platform/d1/faults';
import { createLogger, type Logger } from '../../platform/logger';
import { recordQueueMessage } from '../../platform/metrics/events';
import { flushSoon } from '../../platform/metrics/flush';
import { reportBackgroundError } from '../../platform/sentry';
import { BacktestMessage } from '../../schema/contracts/backtests';
import { isStored, loadStoredSeries, seriesFromInline } from './backtest-data';
import {
  completeJob,
  failHeldJob,
  heartbeat,
  type JobRow,
  leaseJob,
  parseStoredRequest,
  releaseJob,
} from './backtest-jobs';
import { computeResult, hasResult, requestKey } from './backtest-results';
import {
  chunkDone,
  failSweep,
  getSweepById,
  markSweepRunning,
  parseSweepRequest,
  runChunk,
  storeChunk,
  sweepSeries,
} from './backtest-sweeps';

/** Exponential backoff of a retried message: 2 s, 4 s, 8 s… capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts));
}

/** The health check's producer probe (`{ type: 'probe' }`). */
function isProbe(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'probe';
}

/** What to do with a message once its work is over; decided outside any catch. */
type Outcome =
  | { kind: 'ack'; note: string }
  | { kind: 'retry'; delaySeconds: number; reason: string; error?: unknown };

/**
 * Consumer of `skippy-backtests`. Per message: parse (poison → logged and acked), lease the
 * job, load the data (renewing the lease, stopping if cancelled), run the engine, store the
 * result and complete the job in one transaction, ack. A failure gives the lease back and
 * retries that message alone with backoff; after `max_retries` the queue dead-letters it and
 * `consumeBacktestDeadLetters` marks the job failed. A message for a job another attempt
 * holds is retried after its lease; completed, failed and cancelled jobs are acked untouched,
 * so redelivery never runs a job twice.
 */
export async function consumeBacktests(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx?: ExecutionContext,
): Promise<void> {
  // One series per sweep per batch: a batch often carries several chunks of the same sweep.
  const seriesCache = new Map<string, Awaited<ReturnType<typeof sweepSeries>>>();
  for (const msg of batch.messages) {
    if (isProbe(msg.body)) {
      // `/api/health/detailed` proves the producer works by sending a probe: no work, no noise.
      msg.ack();
      continue;
    }
    const parsed = BacktestMessage.safeParse(msg.body);
    if (!parsed.success) {
      createLogger({ queue: batch.queue }).warn('poison backtest message dropped', { id: msg.id });
      recordQueueMessage(QUEUE, 'poison');
      msg.ack();
      continue;
    }
    const body = parsed.data;
    const log = createLogger({
      queue: batch.queue,
      traceId: body.traceId,
      messageId: msg.id,
      attempts: msg.attempts,
    });
    let outcome: Outcome;
    const started = Date.now();
    try {
      outcome =
        'jobId' in body
          ? await runJob(env, body.jobId, msg.attempts, log)
          : await runSweepChunk(env, body.sweepId, body.chunk, msg.attempts, seriesCache);
    } catch (err) {
      outcome = {
        kind: 'retry',
        delaySeconds: retryDelaySeconds(msg.attempts),
        reason: describe(err),
        error: err,
      };
    }
    if (outcome.kind === 'ack') {
      log.info('backtest message done', { note: outcome.note });
      recordQueueMessage(QUEUE, 'ack', Date.now() - started);
      msg.ack();
    } else {
      log.warn('backtest message will be retried', {
        reason: outcome.reason,
        delaySeconds: outcome.delaySeconds,
      });
      recordQueueMessage(QUEUE, 'retry', Date.now() - started);
      if (outcome.error !== undefined)
        reportBackgroundError(env, outcome.error, {
          component: 'queue',
          name: QUEUE,
          waitUntil: ctx ? (p) => ctx.waitUntil(p) : undefined,
        });
      msg.retry({ delaySeconds: outcome.delaySeconds });
    }
  }
  if (ctx) flushSoon(env, (p) => ctx.waitUntil(p));
}

/** The metrics label: the base queue name, whatever the environment's suffix. */
const QUEUE = 'skippy-backtests';

async function crashIfInjected(env: Env): Promise<void> {
  const faults = await currentFaults(env);
  if (faults && faults.consumerCrashRate > 0 && Math.random() < faults.consumerCrashRate)
    throw new InjectedFault('consumer');
}

async function runJob(env: Env, jobId: string, attempts: number, log: Logger): Promise<Outcome> {
  const now = Date.now();
  const lease = await leaseJob(env, jobId, now);
  if (!lease.ok) return notLeased(lease.job, now, jobId, log);
  const { job, token } = lease;
  try {
    return await runLeased(env, job, token);
  } catch (err) {
    const reason = describe(err);
    // Give the job back now rather than when the lease expires, so the retry can take it.
    await releaseJob(env, job.id, token, reason).catch((e: unknown) =>
      log.warn('lease release failed', { error: describe(e) }),
    );
    return { kind: 'retry', delaySeconds: retryDelaySeconds(attempts), reason, error: err };
  }
}

function notLeased(job: JobRow | null, now: number, jobId: string, log: Logger): Outcome {
  if (!job) {
    log.warn('backtest message for an unknown job', { jobId });
    return { kind: 'ack', note: 'unknown job' };
  }
  if (job.status === 'running' && job.leaseUntil !== null && job.leaseUntil >= now) {
    return {
      kind: 'retry',
      delaySeconds: Math.max(1, Math.ceil((job.leaseUntil - now) / 1000)),
      reason: 'held by another attempt',
    };
  }
  return { kind: 'ack', note: `job already ${job.status}` };
}

async function runLeased(env: Env, job: JobRow, token: number): Promise<Outcome> {
  const req = parseStoredRequest(job);
  if (!req) {
    await failHeldJob(env, job.id, token, 'the stored request is unreadable');
    return { kind: 'ack', note: 'unreadable request' };
  }
  if (await hasResult(env, job.contentHash)) {
    const done = await completeJob(env, job.id, token, true);
    return { kind: 'ack', note: done ? 'completed from stored result' : 'no longer held' };
  }
  const expected = job.bars ?? 0;
  const series = isStored(req.data)
    ? await loadStoredSeries(env, req.data, expected, (loaded) =>
        heartbeat(env, job.id, token, 0.8 * Math.min(1, loaded / Math.max(1, expected))),
      )
    : seriesFromInline(req.data);
  if (!series) return { kind: 'ack', note: 'cancelled while loading' };
  if (series.close.length === 0) {
    await failHeldJob(env, job.id, token, 'no bars in the requested range');
    return { kind: 'ack', note: 'no bars' };
  }
  await crashIfInjected(env);
  let result: ReturnType<typeof computeResult>;
  try {
    result = computeResult(series, req, job.contentHash, await requestKey(req));
  } catch (err) {
    if (!(err instanceof BacktestInputError)) throw err;
    await failHeldJob(env, job.id, token, err.message);
    return { kind: 'ack', note: 'rejected by the engine' };
  }
  if (!(await heartbeat(env, job.id, token, 0.9))) return { kind: 'ack', note: 'cancelled while running' };
  const done = await completeJob(env, job.id, token, false, result);
  return { kind: 'ack', note: done ? 'completed' : 'no longer held' };
}

async function runSweepChunk(
  env: Env,
  sweepId: string,
  chunk: number,
  attempts: number,
  seriesCache: Map<string, Awaited<ReturnType<typeof sweepSeries>>>,
): Promise<Outcome> {
  const row = await getSweepById(env, sweepId);
  if (!row) return { kind: 'ack', note: 'unknown sweep' };
  if (row.status !== 'queued' && row.status !== 'running')
    return { kind: 'ack', note: `sweep already ${row.status}` };
  if (chunk >= row.chunks || (await chunkDone(env, sweepId, chunk)))
    return { kind: 'ack', note: 'chunk already stored' };
  const req = parseSweepRequest(row);
  if (!req) {
    await failSweep(env, sweepId, 'the stored request is unreadable');
    return { kind: 'ack', note: 'unreadable request' };
  }
  await markSweepRunning(env, sweepId);
  let series = seriesCache.get(sweepId);
  if (series === undefined) {
    series = await sweepSeries(env, req);
    seriesCache.set(sweepId, series);
  }
  if (!series || series.close.length === 0) {
    await failSweep(env, sweepId, 'no bars in the requested range');
    return { kind: 'ack', note: 'no bars' };
  }
  await crashIfInjected(env);
  const out = runChunk(series, req, row, chunk);
  const stored = await storeChunk(env, sweepId, chunk, out);
  return {
    kind: 'ack',
    note: stored
      ? `chunk ${chunk} stored (attempt ${attempts})`
      : `chunk ${chunk} dropped: already stored, or the sweep was cancelled or failed meanwhile`,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

import { ApiError } from '../../platform/errors';
import { createLogger } from '../../platform/logger';
import { recordQueueMessage } from '../../platform/metrics/events';
import { flushSoon } from '../../platform/metrics/flush';
import { reportBackgroundError } from '../../platform/sentry';
import { parseTraceparent } from '../../platform/trace';
import { TrainingMessage } from '../../schema/contracts/predictions';
import { setJobStatus, trainAndStore } from './prediction-training';

/** Matches `max_retries` of the `skippy-training` consumer in wrangler.toml. */
const MAX_RETRIES = 3;

/** Exponential backoff for a retried training: 10 s, 20 s, 40 s… capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Consumer of `skippy-training`: each message retrains one (symbol, horizon), stores the new
 * version (D1 + KV hot copy) and records the job's progress in `training_jobs`. Decides per
 * message: poison → logged and acked; permanent failures (too little history, unknown symbol)
 * → job `failed` and acked; anything else → retried with backoff, and recorded as `failed` once
 * the retries are spent (the queue has no dead-letter queue: the job row is the record).
 */
export async function consumeTraining(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx?: ExecutionContext,
): Promise<void> {
  for (const msg of batch.messages) {
    const parsed = TrainingMessage.safeParse(msg.body);
    if (!parsed.success) {
      createLogger({ queue: batch.queue }).warn('poison training message dropped', { id: msg.id });
      recordQueueMessage(QUEUE, 'poison');
      msg.ack();
      continue;
    }
    const job = parsed.data;
    const log = createLogger({
      queue: batch.queue,
      jobId: job.jobId,
      traceId: parseTraceparent(job.traceparent)?.traceId,
    });
    let outcome: { ok: true; version: string } | { ok: false; error: unknown };
    const started = Date.now();
    try {
      await setJobStatus(env, job.jobId, 'running', Date.now());
      const trained = await trainAndStore(env, job.symbol, job.horizon, Date.now());
      outcome = { ok: true, version: trained.head.version };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (outcome.ok) {
      await setJobStatus(env, job.jobId, 'completed', Date.now()).catch(() => {});
      log.info('model trained', { symbol: job.symbol, horizon: job.horizon, version: outcome.version });
      recordQueueMessage(QUEUE, 'ack', Date.now() - started);
      msg.ack();
      continue;
    }
    const reason =
      outcome.error instanceof Error
        ? `${outcome.error.name}: ${outcome.error.message}`
        : String(outcome.error);
    const permanent = outcome.error instanceof ApiError && outcome.error.status < 500;
    // A permanent failure is the input's (too little history), not a fault worth an alert.
    if (!permanent)
      reportBackgroundError(env, outcome.error, {
        component: 'queue',
        name: QUEUE,
        waitUntil: ctx ? (p) => ctx.waitUntil(p) : undefined,
      });
    if (permanent || msg.attempts > MAX_RETRIES) {
      await setJobStatus(env, job.jobId, 'failed', Date.now(), reason.slice(0, 500)).catch(() => {});
      log.warn('training failed', {
        symbol: job.symbol,
        horizon: job.horizon,
        attempts: msg.attempts,
        error: reason,
      });
      // No dead-letter queue: a job given up for good is this queue's dead letter.
      recordQueueMessage(QUEUE, permanent ? 'ack' : 'dead_letter', Date.now() - started);
      msg.ack();
      continue;
    }
    log.warn('training will be retried', {
      symbol: job.symbol,
      horizon: job.horizon,
      attempts: msg.attempts,
      error: reason,
    });
    recordQueueMessage(QUEUE, 'retry', Date.now() - started);
    msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  }
  if (ctx) flushSoon(env, (p) => ctx.waitUntil(p));
}

const QUEUE = 'skippy-training';

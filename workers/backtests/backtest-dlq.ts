import { createLogger } from '../../platform/logger';
import { recordQueueMessage } from '../../platform/metrics/events';
import { flushSoon } from '../../platform/metrics/flush';
import { reportBackgroundError } from '../../platform/sentry';
import { BacktestMessage } from '../../schema/contracts/backtests';
import { failDeadLettered } from './backtest-jobs';
import { chunkDone, failSweep } from './backtest-sweeps';

/**
 * Consumer of `skippy-backtests-dlq`: a message lands here after `max_retries` failed
 * attempts. Its job becomes `failed` with the last recorded error, unless an attempt still
 * holds a live lease (then the message is retried until that lease ends) or the job already
 * finished (acked untouched). A dead-lettered sweep chunk fails its sweep.
 */
export async function consumeBacktestDeadLetters(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx?: ExecutionContext,
): Promise<void> {
  for (const msg of batch.messages) {
    const parsed = BacktestMessage.safeParse(msg.body);
    const log = createLogger({ queue: batch.queue, messageId: msg.id });
    if (!parsed.success) {
      log.warn('poison dead letter dropped');
      recordQueueMessage(QUEUE, 'poison');
      msg.ack();
      continue;
    }
    const body = parsed.data;
    let retryAfter: number | null = null;
    let failure: unknown = null;
    try {
      const now = Date.now();
      if ('jobId' in body) {
        const job = await failDeadLettered(env, body.jobId, now);
        if (job?.status === 'running' && job.leaseUntil !== null && job.leaseUntil >= now) {
          retryAfter = Math.max(1, Math.ceil((job.leaseUntil - now) / 1000));
        } else {
          log.warn('backtest dead-lettered', {
            jobId: body.jobId,
            status: job?.status ?? 'unknown',
            error: job?.error ?? null,
          });
        }
      } else if (!(await chunkDone(env, body.sweepId, body.chunk))) {
        await failSweep(env, body.sweepId, `chunk ${body.chunk}: retries exhausted`);
        log.warn('sweep chunk dead-lettered', { sweepId: body.sweepId, chunk: body.chunk });
      }
    } catch (err) {
      failure = err ?? new Error('unknown failure');
    }
    if (failure !== null) {
      log.error('dead letter not recorded; will retry', {
        error: failure instanceof Error ? failure.message : String(failure),
      });
      reportBackgroundError(env, failure, {
        component: 'queue',
        name: 'skippy-backtests-dlq',
        waitUntil: ctx ? (p) => ctx.waitUntil(p) : undefined,
      });
      msg.retry({ delaySeconds: 10 });
    } else if (retryAfter !== null) {
      msg.retry({ delaySeconds: retryAfter });
    } else {
      // Counted under the main queue: one of its messages reached its final, dead-letter outcome.
      recordQueueMessage(QUEUE, 'dead_letter');
      msg.ack();
    }
  }
  if (ctx) flushSoon(env, (p) => ctx.waitUntil(p));
}

const QUEUE = 'skippy-backtests';

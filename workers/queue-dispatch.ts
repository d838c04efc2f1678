import { config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { reportBackgroundError } from '../platform/sentry';
import { consumeBacktests } from './backtests/backtest-consumer';
import { consumeBacktestDeadLetters } from './backtests/backtest-dlq';
import { consumeTraining } from './predictions/training-consumer';

/** A queue consumer: decides per message (ack / retry) itself; see each consumer's JSDoc. */
export type QueueConsumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

/** Queue name (wrangler.toml `[[queues.consumers]]`) → its consumer. */
export const CONSUMERS: Record<string, QueueConsumer> = {
  'skippy-backtests': consumeBacktests,
  'skippy-backtests-dlq': consumeBacktestDeadLetters,
  'skippy-training': consumeTraining,
};

/**
 * Deployed environments name their queues with a suffix (`skippy-backtests-staging`, see
 * wrangler.toml) so they never share a queue; consumers are keyed by the base name.
 */
export function baseQueueName(queue: string, environment: string): string {
  const suffix = `-${environment}`;
  return environment !== 'local' && queue.endsWith(suffix) ? queue.slice(0, -suffix.length) : queue;
}

/**
 * The Worker's `queue` handler: routes a batch to its queue's consumer. A batch from a queue
 * without a consumer is retried (never silently acked), so a missing line here loses nothing.
 */
export async function dispatchQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const consumer = CONSUMERS[baseQueueName(batch.queue, config(env).ENVIRONMENT)];
  if (!consumer) {
    createLogger({ queue: batch.queue }).error('no consumer for queue', { messages: batch.messages.length });
    batch.retryAll();
    return;
  }
  try {
    await consumer(batch, env, ctx);
  } catch (err) {
    // Consumers decide per message; reaching here is a bug. Rethrown so the batch is retried.
    reportBackgroundError(env, err, {
      component: 'queue',
      name: batch.queue,
      waitUntil: (p) => ctx.waitUntil(p),
    });
    throw err;
  }
}

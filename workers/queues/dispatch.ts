import { createLogger } from '../lib/logger';
import { consumeBacktests } from './backtest-consumer';
import { consumeBacktestDeadLetters } from './backtest-dlq';
import { consumeTraining } from './training-consumer';

/** A queue consumer: decides per message (ack / retry) itself; see each consumer's JSDoc. */
export type QueueConsumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

/** Queue name (wrangler.toml `[[queues.consumers]]`) → its consumer. */
export const CONSUMERS: Record<string, QueueConsumer> = {
  'skippy-backtests': consumeBacktests,
  'skippy-backtests-dlq': consumeBacktestDeadLetters,
  'skippy-training': consumeTraining,
};

/**
 * The Worker's `queue` handler: routes a batch to its queue's consumer. A batch from a queue
 * without a consumer is retried (never silently acked), so a missing line here loses nothing.
 */
export async function dispatchQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const consumer = CONSUMERS[batch.queue];
  if (!consumer) {
    createLogger({ queue: batch.queue }).error('no consumer for queue', { messages: batch.messages.length });
    batch.retryAll();
    return;
  }
  await consumer(batch, env, ctx);
}

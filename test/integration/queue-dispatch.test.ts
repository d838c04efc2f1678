import { describe, expect, it } from 'vitest';
import { baseQueueName, CONSUMERS } from '../../workers/queue-dispatch';

describe('queue dispatch', () => {
  it('maps environment-suffixed queue names to their consumers', () => {
    expect(baseQueueName('skippy-backtests-production', 'production')).toBe('skippy-backtests');
    expect(baseQueueName('skippy-backtests-dlq-staging', 'staging')).toBe('skippy-backtests-dlq');
    expect(baseQueueName('skippy-training', 'local')).toBe('skippy-training');
    // A queue of another environment is not silently taken for this one.
    expect(baseQueueName('skippy-backtests-staging', 'production')).toBe('skippy-backtests-staging');
    for (const q of ['skippy-backtests', 'skippy-backtests-dlq', 'skippy-training'])
      expect(CONSUMERS[q]).toBeTypeOf('function');
  });
});

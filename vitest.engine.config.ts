import { defineProject } from 'vitest/config';
import { TEST_WORKERS } from './test/test-workers';

export default defineProject({
  test: {
    name: 'engine',
    // Two files at a time at least (see test-workers.ts); the e2e files stay one at a time.
    maxWorkers: TEST_WORKERS,
    environment: 'node',
    include: ['engine/**/*.test.ts', 'client/**/*.test.ts', 'test/node/**/*.test.ts'],
    testTimeout: 60_000,
  },
});

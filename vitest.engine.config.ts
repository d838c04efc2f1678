import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'engine',
    environment: 'node',
    include: ['engine/**/*.test.ts', 'client/**/*.test.ts', 'test/node/**/*.test.ts'],
    testTimeout: 60_000,
  },
});

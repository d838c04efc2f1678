import { defineProject } from 'vitest/config';

// End-to-end: one `wrangler dev` started by test/e2e/global-setup.ts (fresh state, seeded,
// simulator off unless a test starts it) shared by every e2e file; files run one at a time, in a
// group of their own after the engine and workerd files (which run several at a time; a file
// measuring latency under attack must not share the machine with them).
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts'],
    globalSetup: ['./test/e2e/global-setup.ts'],
    fileParallelism: false,
    sequence: { groupOrder: 1 },
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});

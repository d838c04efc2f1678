import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';
import { TEST_WORKERS } from './test/test-workers';

// Integration tests run inside workerd with the real bindings of wrangler.toml (D1 with the
// migrations applied in test/integration/setup.ts, KV, Queues, Durable Objects, rate limiters).
export default defineProject(async () => {
  const migrations = await readD1Migrations('./schema/migrations');
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            SIMULATOR_ENABLED: 'false',
            LOG_LEVEL: 'error',
            // Suites fire concurrent requests (the fuzz suite 16 at a time) and must not be shed:
            // a high limit, and no adaptive limit, which shrank to 2 when a loaded CI machine made
            // the median request slower than its 100 ms target (fuzz answered 503 `overloaded`).
            // test/integration/load-shed.test.ts sets its own low limit.
            LOAD_SHED_MAX_INFLIGHT: '1000',
            LOAD_SHED_TARGET_MS: '0',
            FUZZ_RUNS: process.env.FUZZ_RUNS ?? '',
            FUZZ_ONLY: process.env.FUZZ_ONLY ?? '',
            FUZZ_PROFILE: process.env.FUZZ_PROFILE ?? '',
          },
        },
      }),
    ],
    test: {
      name: 'workers',
      // Two files at a time at least (see test-workers.ts); the e2e files stay one at a time.
      maxWorkers: TEST_WORKERS,
      include: [
        'test/integration/**/*.test.ts',
        'platform/**/*.test.ts',
        'durable-objects/**/*.test.ts',
        'workers/**/*.test.ts',
      ],
      setupFiles: ['./test/integration/setup.ts'],
      testTimeout: 30_000,
      // Vitest 5 caches transformed modules under node_modules/.vitest-cache by default; the
      // plugin's runner inside workerd cannot read those files ("no such file or directory,
      // readAll …/.vitest-cache/…"), so this project transforms on every run.
      fsModuleCache: false,
    },
  };
});

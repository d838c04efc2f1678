import { defineConfig } from 'vitest/config';

// One `vitest run` runs every suite: pure engine code in Node, the Worker inside workerd,
// and end-to-end suites against a real `wrangler dev` (and Chromium for the dashboard).
export default defineConfig({
  test: {
    projects: ['./vitest.engine.config.ts', './vitest.workers.config.ts', './vitest.e2e.config.ts'],
  },
});

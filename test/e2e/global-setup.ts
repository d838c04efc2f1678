import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { checkLocalBars } from '../../scripts/lib/bar-check';
import { buildDashboardIfNeeded } from '../../scripts/lib/dashboard';
import { type DemoKey, freePort, preparePlatform, startWrangler } from '../../scripts/lib/platform';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    persistTo: string;
    keys: DemoKey[];
  }
}

/** Starts the platform exactly as `npm start` does (same scripts), on a free port with throwaway state. */
export default async function setup(project: TestProject) {
  const persistTo = mkdtempSync(join(tmpdir(), 'skippy-e2e-'));
  await buildDashboardIfNeeded(() => {});
  const seed = await preparePlatform(persistTo);
  const port = await freePort();
  const platform = await startWrangler({
    port,
    persistTo,
    // A low socket threshold makes a handful of stream sockets spill over several gateways
    // (test/e2e/stream-shards.test.ts). A fixed load-shed limit: the adaptive one, shrunk by the
    // slow requests of test/e2e/load-shed.test.ts, would shed the files that run after it (it
    // grows back one slot per 16 fast requests); test/integration/load-shed.test.ts covers it.
    vars: {
      SIMULATOR_ENABLED: 'false',
      STREAM_SOCKETS_PER_GATEWAY: '4',
      STREAM_GATEWAY_SHARDS: '1',
      LOAD_SHED_TARGET_MS: '0',
    },
    timeoutMs: 120_000,
  });
  project.provide('baseUrl', platform.url);
  project.provide('persistTo', persistTo);
  project.provide('keys', seed.keys);
  return async () => {
    await platform.stop();
    // Every bar the e2e and chaos suites caused must be sound. Vitest 4 only logs a teardown's
    // throw ("error during close") and still exits 0, so the failure also sets the exit code.
    const bars = await checkLocalBars(persistTo).finally(() =>
      rmSync(persistTo, { recursive: true, force: true }),
    );
    const problem =
      bars.total === 0
        ? 'The bar check read no bars: it did not reach the e2e database.'
        : bars.invalid > 0
          ? `${bars.invalid} of ${bars.total} stored bars are invalid after the e2e run:\n${JSON.stringify(bars.examples, null, 1)}`
          : null;
    if (problem) {
      process.exitCode = 1;
      throw new Error(problem);
    }
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
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
    // A low socket threshold makes a handful of stream sockets spill over several gateways (test/e2e/stream-shards.test.ts).
    vars: { SIMULATOR_ENABLED: 'false', STREAM_SOCKETS_PER_GATEWAY: '4', STREAM_GATEWAY_SHARDS: '1' },
    timeoutMs: 120_000,
  });
  project.provide('baseUrl', platform.url);
  project.provide('persistTo', persistTo);
  project.provide('keys', seed.keys);
  return async () => {
    await platform.stop();
    rmSync(persistTo, { recursive: true, force: true });
  };
}

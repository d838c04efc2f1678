import { freePort, preparePlatform, type RunningPlatform, startWrangler } from '../../scripts/lib/platform';
import type { Target } from './scenarios';

/**
 * A fresh seeded `wrangler dev` with the simulator on, for the Node harness's runs (local load
 * tests and the nightly regression run), addressed with the seeded admin key.
 */
export async function startLocalPlatform(
  persistTo: string,
): Promise<{ platform: RunningPlatform; target: Target }> {
  console.log('Preparing a fresh seeded platform…');
  const seed = await preparePlatform(persistTo);
  const admin = seed.keys.find((k) => k.scopes.includes('admin'));
  if (!admin) throw new Error('no admin demo key');
  const platform = await startWrangler({
    port: await freePort(),
    persistTo,
    vars: { SIMULATOR_ENABLED: 'true' },
    timeoutMs: 120_000,
  });
  return { platform, target: { baseUrl: platform.url, key: admin.key } };
}

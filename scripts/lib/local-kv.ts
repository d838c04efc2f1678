import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, wranglerEnv } from './platform';

const run = promisify(execFile);
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

/**
 * The local KV (`CACHE`) that `npm start` persists to, through `wrangler kv … --local`. Key names
 * must match `kvKey` in platform/cache.ts (the scripts run in Node, without the Worker's
 * types); test/e2e/revocation.test.ts fails if they drift.
 */
export const localKvKey = {
  apiKey: (hash: string) => `v1:apikey:${hash}`,
  revokedKey: (hash: string) => `v1:revoked:${hash}`,
} as const;

async function kv(persistTo: string, args: string[]): Promise<void> {
  await run(
    process.execPath,
    [WRANGLER, 'kv', 'key', ...args, '--binding', 'CACHE', '--local', '--persist-to', persistTo],
    {
      cwd: ROOT,
      env: wranglerEnv(),
    },
  );
}

export async function localKvPut(
  persistTo: string,
  key: string,
  value: string,
  ttlSeconds: number,
): Promise<void> {
  await kv(persistTo, ['put', key, value, '--ttl', String(ttlSeconds)]);
}

export async function localKvDelete(persistTo: string, key: string): Promise<void> {
  await kv(persistTo, ['delete', key]);
}

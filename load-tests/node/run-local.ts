/**
 * `npm run loadtest:local`: the k6 scenarios measured in Node against a wrangler dev this script
 * starts itself (fresh seeded state, simulator on), bounded in count and time, then a table of
 * p50/p95/p99 and error rates against each SLO. Against a running deployment instead:
 * BASE_URL=… API_KEY=sk_admin… npm run loadtest:local (an admin key on the `high` tier, as
 * `npm start` prints). DURATION_SECONDS (default 8) per scenario; ONLY=api,ws,chaos picks
 * scenarios; WS_SOCKETS (default 20) sockets for the WebSocket scenario, opened at once, two
 * symbols each as the k6 script does (`WS_SOCKETS=1000 ONLY=ws npm run loadtest:local` is the
 * k6 test's 1,000 VUs). Exit code 1 only with STRICT=1 and a missed objective.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningPlatform } from '../../scripts/lib/platform';
import { startLocalPlatform } from './local-platform';
import {
  backtests,
  chaos,
  marketData,
  passes,
  predictions,
  type Row,
  type Target,
  websocket,
} from './scenarios';
import { table } from './table';

const seconds = Math.min(60, Math.max(2, Number(process.env.DURATION_SECONDS ?? 8)));
const durationMs = seconds * 1000;
const wsSockets = Math.min(5_000, Math.max(1, Number(process.env.WS_SOCKETS ?? 20)));
const only = new Set((process.env.ONLY ?? 'api,ws,chaos').split(',').map((s) => s.trim()));

async function main(): Promise<void> {
  let platform: RunningPlatform | null = null;
  let persistTo: string | null = null;
  let target: Target;
  if (process.env.BASE_URL && process.env.API_KEY) {
    target = { baseUrl: process.env.BASE_URL.replace(/\/$/, ''), key: process.env.API_KEY };
  } else {
    persistTo = mkdtempSync(join(tmpdir(), 'skippy-load-'));
    ({ platform, target } = await startLocalPlatform(persistTo));
    console.log(`wrangler dev on ${platform.url}; ${seconds} s per scenario`);
  }
  const rows: Row[] = [];
  try {
    if (only.has('api')) {
      rows.push(await marketData(target, 20, durationMs));
      rows.push(await predictions(target, 10, durationMs));
      rows.push(await backtests(target, 2, durationMs));
    }
    if (only.has('ws')) rows.push(await websocket(target, wsSockets, durationMs));
    if (only.has('chaos')) rows.push(await chaos(target, 20, durationMs));
  } finally {
    await platform?.stop();
    if (persistTo) rmSync(persistTo, { recursive: true, force: true });
  }
  console.log(`\n${table(rows)}\n`);
  console.log('Local figures: one workerd on a shared machine, not the edge; compare trends, not absolutes.');
  if (process.env.STRICT === '1' && !rows.every(passes)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

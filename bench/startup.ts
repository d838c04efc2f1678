/**
 * `npm run bench:startup`: seconds from `npm start` to the first 200 from /api/health, on a fresh
 * state directory (first run: migrations + seeding) and again on the same state (later runs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../scripts/lib/platform';
import { median, spread, table } from './lib/stats';

async function timeStart(stateDir: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), SKIPPY_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: 'false' },
    stdio: 'ignore',
    detached: true,
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/api/health`)).status === 200)
          return (performance.now() - t0) / 1000;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
  }
}

const runs = Number(process.env.RUNS ?? 3);
const first: number[] = [];
const later: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'skippy-startup-'));
  first.push(await timeStart(dir));
  later.push(await timeStart(dir));
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  table([
    {
      case: 'first run (migrate + seed + start)',
      median_s: median(first).toFixed(2),
      spread_s: spread(first),
      runs,
    },
    { case: 'later run (data kept)', median_s: median(later).toFixed(2), spread_s: spread(later), runs },
  ]),
);

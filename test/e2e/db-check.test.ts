import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, d1Execute, ROOT, wranglerEnv } from '../../scripts/lib/platform';

const run = promisify(execFile);

/** `npm run db:check -- --persist-to DIR`, as a user runs it: its exit code and output. */
async function dbCheck(persistTo: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(
      'npm',
      ['run', '--silent', 'db:check', '--', '--persist-to', persistTo],
      {
        cwd: ROOT,
        env: wranglerEnv(),
      },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

// Its own database: the shared e2e one must stay valid (global-setup's teardown checks it).
const persistTo = mkdtempSync(join(tmpdir(), 'skippy-db-check-'));
const insert = (symbol: string, ts: number, o: number, h: number, l: number, c: number, v: number) =>
  `INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES ('${symbol}', '1m', ${ts}, ${o}, ${h}, ${l}, ${c}, ${v});`;

beforeAll(async () => {
  await applyMigrations(persistTo);
}, 120_000);
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

describe('npm run db:check', () => {
  it('passes a database of valid bars and names each invalid one, exiting non-zero', async () => {
    await d1Execute(persistTo, { command: insert('AAPL', 60_000, 10, 11, 9, 10.5, 100) });
    const clean = await dbCheck(persistTo);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/1 bars, none invalid/);

    // The shape the simulator once wrote: low above open, from a late fragment replacing a bar.
    await d1Execute(persistTo, {
      command: `${insert('AAPL', 120_000, 10, 10.4, 10.2, 10.3, 5)} ${insert('MSFT', 60_000, 10, 11, 9, 10, -1)}`,
    });
    const dirty = await dbCheck(persistTo);
    expect(dirty.code).toBe(1);
    expect(dirty.out).toMatch(/2 of 3 bars invalid/);
    expect(dirty.out).toMatch(/AAPL 1m 1970-01-01T00:02:00.000Z .*low above open or close/);
    expect(dirty.out).toMatch(/MSFT 1m .*volume negative/);
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadReference, missingShared, relClose, sharedPath } from '../backtest/reference.test-helper';
import { formatDays } from './format-table';

const CliJson = z.object({
  stats: z.record(z.string(), z.unknown()),
  trades: z.array(z.record(z.string(), z.unknown())),
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli/backtest.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('backtest CLI', () => {
  const ref = loadReference('goog_sma10_30_c002.json');
  if (ref === null) {
    missingShared('../shared/reference/goog_sma10_30_c002.json');
  } else {
    it('--json reproduces the reference run', () => {
      const r = cli([
        '--csv',
        sharedPath('data/GOOG.csv'),
        '--strategy',
        'sma-cross',
        '--param',
        'fast=10',
        '--param',
        'slow=30',
        '--cash',
        '10000',
        '--commission',
        '0.002',
        '--json',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = CliJson.parse(JSON.parse(r.stdout));
      expect(Object.keys(out)).toEqual(['stats', 'trades']);
      expect(Object.keys(out.stats)).toEqual(Object.keys(ref.stats));
      for (const [k, v] of Object.entries(ref.stats)) {
        const got = out.stats[k];
        if (typeof v === 'number' && typeof got === 'number') expect(relClose(got, v), k).toBe(true);
        else expect(got, k).toEqual(v);
      }
      expect(out.trades.length).toBe(ref.trades.length);
      expect(out.trades[0]).toMatchObject({
        size: -55,
        entryBar: 70,
        exitBar: 86,
        entryTime: '2004-11-29T00:00:00',
      });
    });

    it('prints an aligned table', () => {
      const r = cli([
        '--csv',
        sharedPath('data/GOOG.csv'),
        '--param',
        'fast=10',
        '--param',
        'slow=30',
        '--commission',
        '0.002',
      ]);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^Start\s+2004-08-19 00:00:00$/);
      expect(new Set(lines.map((l) => l.length)).size).toBe(1);
      expect(r.stdout).toContain('# Trades');
      expect(r.stdout).toMatch(/Max\. Drawdown Duration\s+963 days 00:00:00/);
    });
  }

  it('fails with one line on stderr for bad files, rows and parameters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skippy-cli-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1,10\n2024-01-02,1,2,x,1,10\n');
    const good = join(dir, 'good.csv');
    writeFileSync(
      good,
      'Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,0.5,1,10\n2024-01-02,1,2,0.5,1,10\n',
    );
    const cases: [string[], RegExp][] = [
      [['--csv', join(dir, 'missing.csv')], /cannot read/],
      [['--csv', bad], /row 3, column Low: not a number/],
      [['--csv', good, '--param', 'fast=30', '--param', 'slow=10'], /fast must be shorter than slow/],
      [['--csv', good, '--strategy', 'nope'], /unknown strategy "nope"/],
      [['--csv', good, '--cash', 'lots'], /--cash must be a number/],
      [['--bogus'], /Unknown option/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });

  it('formats durations like pandas Timedeltas', () => {
    expect(formatDays(3116)).toBe('3116 days 00:00:00');
    expect(formatDays(1.5)).toBe('1 days 12:00:00');
    expect(formatDays(Number.NaN)).toBe('NaN');
  });
});

/**
 * bench:indicators — SMA(20), EMA(20), RSI(14), Bollinger(20, 2) over 1,000,000 points,
 * points/s, next to `technicalindicators` 3.1.0. Each library runs in its own child
 * process (its garbage would slow whatever runs after it); the parent prints medians,
 * spread and ratios and writes bench-results/indicators-*.json.
 *
 *   npm run bench:indicators [-- --runs 5 --points 1000000]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ti from 'technicalindicators';
import { bollinger } from '../engine/indicators/bollinger';
import { ema } from '../engine/indicators/ema';
import { rsi } from '../engine/indicators/rsi';
import { sma } from '../engine/indicators/sma';
import { fmtRate, mps, randomCloses, type Summary, summarize, writeResult } from './backtest-util';

const { values: args } = parseArgs({
  options: {
    child: { type: 'string' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    points: { type: 'string', default: '1000000' },
  },
});
const RUNS = Math.max(5, Number(args.runs));
const WARMUP = Number(args.warmup);
const POINTS = Number(args.points);
const NAMES = ['SMA(20)', 'EMA(20)', 'RSI(14)', 'Bollinger(20,2)'] as const;

type Impl = Record<(typeof NAMES)[number], () => void>;

function time(f: () => void): Summary {
  const xs: number[] = [];
  for (let k = 0; k < WARMUP + RUNS; k++) {
    const t0 = performance.now();
    f();
    const ms = performance.now() - t0;
    if (k >= WARMUP) xs.push(mps(POINTS, ms));
  }
  return summarize(xs);
}

function child(which: string): void {
  const values = randomCloses(POINTS, 7);
  const out: Record<string, Summary> = {};
  if (which === 'skippy') {
    const a = new Float64Array(POINTS);
    const b = new Float64Array(POINTS);
    const c = new Float64Array(POINTS);
    const fresh: Impl = {
      'SMA(20)': () => sma(values, 20),
      'EMA(20)': () => ema(values, 20),
      'RSI(14)': () => rsi(values, 14),
      'Bollinger(20,2)': () => bollinger(values, 20, 2),
    };
    const reused: Impl = {
      'SMA(20)': () => sma(values, 20, a),
      'EMA(20)': () => ema(values, 20, a),
      'RSI(14)': () => rsi(values, 14, a),
      'Bollinger(20,2)': () => bollinger(values, 20, 2, { out: { middle: a, upper: b, lower: c } }),
    };
    for (const n of NAMES) {
      out[`${n} new`] = time(fresh[n]);
      out[`${n} reused`] = time(reused[n]);
    }
  } else {
    const arr = Array.from(values);
    const impl: Impl = {
      'SMA(20)': () => ti.SMA.calculate({ period: 20, values: arr }),
      'EMA(20)': () => ti.EMA.calculate({ period: 20, values: arr }),
      'RSI(14)': () => ti.RSI.calculate({ period: 14, values: arr }),
      'Bollinger(20,2)': () => ti.BollingerBands.calculate({ period: 20, stdDev: 2, values: arr }),
    };
    for (const n of NAMES) out[n] = time(impl[n]);
  }
  process.stdout.write(JSON.stringify(out));
}

function runChild(which: string): Record<string, Summary> {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      '--child',
      which,
      '--runs',
      String(RUNS),
      '--warmup',
      String(WARMUP),
      '--points',
      String(POINTS),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`${which} child failed: ${r.stderr}`);
  const parsed: unknown = JSON.parse(r.stdout);
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${which} child printed no result`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v as Summary]));
}

if (args.child) {
  child(args.child);
} else {
  console.log(
    `bench:indicators  ${POINTS.toLocaleString('en-US')} points  node ${process.version}  runs ${RUNS} after ${WARMUP} warm-up`,
  );
  const ours = runChild('skippy');
  const theirs = runChild('technicalindicators');
  const rows: Record<string, unknown> = {};
  for (const n of NAMES) {
    const fresh = ours[`${n} new`]!;
    const reused = ours[`${n} reused`]!;
    const t = theirs[n]!;
    console.log(`\n${n}`);
    console.log(`  skippy (new output)      ${fmtRate(fresh)}`);
    console.log(`  skippy (reused output)   ${fmtRate(reused)}`);
    console.log(`  technicalindicators      ${fmtRate(t)}`);
    console.log(
      `  ratio skippy/technicalindicators: ${(fresh.median / t.median).toFixed(1)}× (new), ${(reused.median / t.median).toFixed(1)}× (reused)`,
    );
    rows[n] = {
      skippyNew: fresh,
      skippyReused: reused,
      technicalindicators: t,
      ratioNew: fresh.median / t.median,
      ratioReused: reused.median / t.median,
    };
  }
  console.log(
    `\nwrote ${writeResult('indicators', { unit: 'M points/s', points: POINTS, node: process.version, date: new Date().toISOString(), results: rows })}`,
  );
}

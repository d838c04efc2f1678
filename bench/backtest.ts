/**
 * bench:backtest — engine throughput, per ../shared/BENCHMARKS.md:
 * sma-cross 10/20 on a seeded 1,000,000-bar geometric random walk (cash 10,000,
 * commission 0) and on GOOG.csv (commission 0.002); bars/s median of ≥ 5 runs after
 * warm-up, allocating per run and reusing arrays; a 100-combination sweep in
 * bar-evaluations/s; each next to a hand-written Float64Array loop measured in the same
 * run, each variant timed in its own block.
 *
 *   npm run bench:backtest [-- --runs 7 --bars 1000000 --sweep-runs 5]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomWalkSeries } from '../engine/backtest/random-walk';
import { runBacktest } from '../engine/backtest/run-backtest';
import { runSweep } from '../engine/backtest/sweep';
import { ENGINE_VERSION } from '../engine/backtest/version';
import type { OhlcvSeries } from '../engine/data/bars';
import { parseOhlcvCsv } from '../engine/data/csv';
import { sma } from '../engine/indicators/sma';
import { crossoverSignals, warmupOf } from '../engine/strategies/signals';
import { allocBaseline, baselineSmaCross } from './backtest-baseline';
import { fmtRate, mps, type Summary, summarize, writeResult } from './backtest-util';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '3' },
    bars: { type: 'string', default: '1000000' },
    'sweep-runs': { type: 'string', default: '5' },
  },
});
const RUNS = Math.max(5, Number(args.runs));
const WARMUP = Number(args.warmup);
const BARS = Number(args.bars);
const SWEEP_RUNS = Math.max(3, Number(args['sweep-runs']));

type Variant = { name: string; run: () => void };

/**
 * Times each variant in its own block of warm-up + measured runs: interleaving would bill
 * one variant's garbage (the allocating ones make 24–40 MB per run) to the next.
 */
function measure(bars: number, variants: Variant[]): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const v of variants) {
    const xs: number[] = [];
    for (let it = 0; it < WARMUP + RUNS; it++) {
      const t0 = performance.now();
      v.run();
      const ms = performance.now() - t0;
      if (it >= WARMUP) xs.push(mps(bars, ms));
    }
    out[v.name] = summarize(xs);
  }
  return out;
}

function smaCrossCase(series: OhlcvSeries, cash: number, commission: number) {
  const n = series.close.length;
  const strategy = { name: 'sma-cross' as const, params: { fast: 10, slow: 20 } };
  // Reused-array variant: indicators, signals, equity and drawdown written in place.
  const fastBuf = new Float64Array(n);
  const slowBuf = new Float64Array(n);
  const signals = new Uint8Array(n);
  const equityOut = new Float64Array(n);
  const drawdownOut = new Float64Array(n);
  const baseBuf = allocBaseline(n);
  let check = 0;
  const variants: Variant[] = [
    {
      name: 'engine (new arrays per run)',
      run: () => {
        check += runBacktest({ series, strategy, cash, commission }).stats['# Trades'];
      },
    },
    {
      name: 'engine (reused arrays)',
      run: () => {
        sma(series.close, 10, fastBuf);
        sma(series.close, 20, slowBuf);
        const compiled = {
          warmup: warmupOf(fastBuf, slowBuf),
          signals: crossoverSignals(fastBuf, slowBuf, false, signals),
        };
        check += runBacktest({ series, strategy: { compiled }, cash, commission, equityOut, drawdownOut })
          .stats['# Trades'];
      },
    },
    {
      name: 'baseline loop (new arrays per run)',
      run: () => {
        check += baselineSmaCross(series.open, series.close, 10, 20, cash, commission, allocBaseline(n));
      },
    },
    {
      name: 'baseline loop (reused arrays)',
      run: () => {
        check += baselineSmaCross(series.open, series.close, 10, 20, cash, commission, baseBuf);
      },
    },
  ];
  const res = measure(n, variants);
  const trades = runBacktest({ series, strategy, cash, commission }).stats['# Trades'];
  return { res, trades, check };
}

function sweepCase(series: OhlcvSeries) {
  const n = series.close.length;
  const grid = {
    fast: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
    slow: [30, 60, 90, 120, 150, 180, 210, 240, 270, 300],
  };
  const combos = grid.fast.length * grid.slow.length;
  const engine: number[] = [];
  const base: number[] = [];
  const buf = allocBaseline(n);
  for (let it = 0; it < 1 + SWEEP_RUNS; it++) {
    let t0 = performance.now();
    const r = runSweep(series, 'sma-cross', grid, 'Sharpe Ratio', { cash: 10_000, commission: 0 });
    const ms = performance.now() - t0;
    if (r.evaluated !== combos) throw new Error(`sweep evaluated ${r.evaluated}`);
    // Baseline: each distinct SMA once, then the loop per combination.
    t0 = performance.now();
    const smas = new Map<number, Float64Array>();
    for (const p of [...grid.fast, ...grid.slow]) smas.set(p, sma(series.close, p));
    for (const f of grid.fast) {
      for (const s of grid.slow) {
        buf.fast = smas.get(f)!;
        buf.slow = smas.get(s)!;
        baselineSmaCross(series.open, series.close, f, s, 10_000, 0, buf, false);
      }
    }
    const bms = performance.now() - t0;
    if (it > 0) {
      engine.push(mps(combos * n, ms));
      base.push(mps(combos * n, bms));
    }
  }
  return { combos, engine: summarize(engine), baseline: summarize(base) };
}

function printCase(title: string, c: ReturnType<typeof smaCrossCase>): Record<string, unknown> {
  const r = c.res;
  const ceil = r['baseline loop (reused arrays)']!.median;
  console.log(`\n${title}  (${c.trades} closed trades)`);
  for (const [name, s] of Object.entries(r)) {
    console.log(
      `  ${name.padEnd(36)} ${fmtRate(s)}   ratio to reused baseline ${(s.median / ceil).toFixed(2)}`,
    );
  }
  const alloc = r['engine (new arrays per run)']!.median / r['baseline loop (new arrays per run)']!.median;
  console.log(`  engine/baseline, both allocating: ${alloc.toFixed(2)}`);
  return {
    unit: 'M bars/s',
    trades: c.trades,
    results: r,
    ratioToReusedBaseline: Object.fromEntries(Object.entries(r).map(([k, s]) => [k, s.median / ceil])),
  };
}

const out: Record<string, unknown> = {
  engineVersion: ENGINE_VERSION,
  node: process.version,
  date: new Date().toISOString(),
  runs: RUNS,
  warmup: WARMUP,
};
console.log(
  `bench:backtest  ${ENGINE_VERSION}  node ${process.version}  runs ${RUNS} after ${WARMUP} warm-up`,
);

const walk = randomWalkSeries({ bars: BARS, seed: 20240101 });
out.randomWalk = printCase(
  `sma-cross 10/20 on a ${BARS.toLocaleString('en-US')}-bar random walk, cash 10,000, commission 0`,
  smaCrossCase(walk, 10_000, 0),
);

const gPath = new URL('../../shared/data/GOOG.csv', import.meta.url);
let goog: OhlcvSeries | null = null;
try {
  const parsed = parseOhlcvCsv(readFileSync(gPath, 'utf8'));
  if (parsed.ok) goog = parsed.series;
} catch {
  console.log('\nGOOG.csv not found under ../shared/data: skipped');
}
if (goog) {
  // Runs of 2,148 bars are too short to time one by one: repeat each 200 times.
  const reps = 200;
  const g = goog;
  const rep = (f: () => void) => () => {
    for (let k = 0; k < reps; k++) f();
  };
  const base = smaCrossCase(g, 10_000, 0.002);
  const variants: Variant[] = [
    {
      name: 'engine (new arrays per run)',
      run: rep(() =>
        runBacktest({
          series: g,
          strategy: { name: 'sma-cross', params: { fast: 10, slow: 20 } },
          cash: 10_000,
          commission: 0.002,
        }),
      ),
    },
    {
      name: 'baseline loop (reused arrays)',
      run: rep(() => baselineSmaCross(g.open, g.close, 10, 20, 10_000, 0.002, allocBaseline(g.close.length))),
    },
  ];
  const r = measure(g.close.length * reps, variants);
  const ceil = r['baseline loop (reused arrays)']!.median;
  console.log(
    `\nsma-cross 10/20 on GOOG.csv (${g.close.length} bars), commission 0.002  (${base.trades} closed trades; ${reps} runs per sample)`,
  );
  for (const [name, s] of Object.entries(r))
    console.log(`  ${name.padEnd(36)} ${fmtRate(s)}   ratio ${(s.median / ceil).toFixed(2)}`);
  out.goog = {
    unit: 'M bars/s',
    trades: base.trades,
    results: r,
    ratio: r['engine (new arrays per run)']!.median / ceil,
  };
}

const sw = sweepCase(walk);
console.log(`\nsweep: sma-cross ${sw.combos}-combination grid on the random walk (bar-evaluations/s)`);
console.log(`  ${'engine runSweep'.padEnd(36)} ${fmtRate(sw.engine)}`);
console.log(`  ${'baseline loop (shared SMAs)'.padEnd(36)} ${fmtRate(sw.baseline)}`);
console.log(`  ratio ${(sw.engine.median / sw.baseline.median).toFixed(2)}`);
out.sweep = { unit: 'M bar-evaluations/s', ...sw, ratio: sw.engine.median / sw.baseline.median };

console.log(`\nwrote ${writeResult('backtest', out)}`);

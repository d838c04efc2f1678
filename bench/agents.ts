/**
 * bench:agents — prediction agents: inference per call and training time, each beside a naive
 * baseline measured in the same run (see /work/shared/BENCHMARKS.md: medians, spread, ratios).
 * Run: npm run bench:agents
 */
import { existsSync, readFileSync } from 'node:fs';
import { agentProbabilities } from '../engine/agents/agent-set';
import { FEATURE_COUNT, featuresAt } from '../engine/agents/features';
import { evaluateWalkForward, predict, trainModel } from '../engine/agents/index';
import { learnedProbability } from '../engine/agents/learned-agent';
import { meanReversionProbability } from '../engine/agents/mean-reversion-agent';
import { syntheticSeries } from '../engine/agents/synthetic';
import { trendProbability } from '../engine/agents/trend-agent';
import { volatilityRegimeProbability } from '../engine/agents/volatility-regime-agent';
import { type OhlcvRow, type OhlcvSeries, seriesFromRows, sliceSeries } from '../engine/data/bars';

const RUNS = 7;
let sink = 0;

interface Stat {
  median: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! };
}

/** Median over RUNS of the per-call time (µs) of fn, called `calls` times per run after a warm-up. */
function perCall(fn: () => number, calls: number, runs = RUNS): Stat {
  for (let i = 0; i < calls; i++) sink += fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) sink += fn();
    samples.push(((performance.now() - t0) * 1000) / calls);
  }
  return stats(samples);
}

function fmt(s: Stat, unit: string): string {
  const d = (v: number) =>
    v < 0.01 ? v.toPrecision(2) : v < 10 ? v.toFixed(3) : v < 100 ? v.toFixed(1) : v.toFixed(0);
  return `${d(s.median)} ${unit} (min ${d(s.min)}, max ${d(s.max)})`;
}

function row(name: string, s: Stat, unit: string, baseline?: Stat): void {
  const ratio = baseline ? `  ×${(s.median / baseline.median).toFixed(1)} baseline` : '';
  console.log(`  ${name.padEnd(44)} ${fmt(s, unit).padEnd(40)}${ratio}`);
}

/** Naive baseline: slope of a 20-bar SMA at the last bar (what a trivial trend call costs). */
function smaSlope(series: OhlcvSeries): number {
  const c = series.close;
  const n = c.length;
  let now = 0;
  let prev = 0;
  for (let k = 0; k < 20; k++) {
    now += c[n - 1 - k]!;
    prev += c[n - 2 - k]!;
  }
  return now > prev ? 1 : 0;
}

/** Naive training baseline: the base rate of up moves over the same rows (always-up's "model"). */
function baseRateTraining(series: OhlcvSeries, h: number): number {
  const c = series.close;
  let ups = 0;
  for (let i = 0; i + h < c.length; i++) if (c[i + h]! > c[i]!) ups++;
  return ups / (c.length - h);
}

function inference(label: string, series: OhlcvSeries, horizon: number): void {
  const model = trainModel(series, { horizon });
  const last = sliceSeries(series, series.close.length - 300, series.close.length);
  console.log(`\ninference on the last 300 bars (${label}, h=${horizon}), median of ${RUNS} runs:`);
  const base = perCall(() => smaSlope(last), 200_000);
  row('baseline: SMA(20) slope', base, 'µs/call');
  row(
    'predict() (features + 4 agents + ensemble)',
    perCall(() => predict(model, last).probabilityUp, 20_000),
    'µs/call',
    base,
  );
  const x = new Float64Array(FEATURE_COUNT);
  const scratch = new Float64Array(40);
  const i = last.close.length - 1;
  row(
    'features of one bar',
    perCall(() => featuresAt(last, i, x, 0, scratch), 100_000),
    'µs/call',
    base,
  );
  featuresAt(last, i, x, 0, scratch);
  const a = model.agents;
  row(
    'agent: trend',
    perCall(() => trendProbability(a.trend, x, 0), 1_000_000),
    'µs/call',
    base,
  );
  row(
    'agent: meanReversion',
    perCall(() => meanReversionProbability(a.meanReversion, x, 0), 1_000_000),
    'µs/call',
    base,
  );
  row(
    'agent: volatilityRegime',
    perCall(() => volatilityRegimeProbability(a.volatilityRegime, x, 0), 1_000_000),
    'µs/call',
    base,
  );
  row(
    'agent: learned',
    perCall(() => learnedProbability(a.learned, model.features, x, 0), 1_000_000),
    'µs/call',
    base,
  );
  const out = new Float64Array(4);
  const fitted = { stats: model.features, agents: model.agents };
  row(
    'all 4 agents on a feature row',
    perCall(() => agentProbabilities(fitted, x, 0, out)[3]!, 1_000_000),
    'µs/call',
    base,
  );
}

function training(label: string, series: OhlcvSeries, horizon: number, runs: number): void {
  console.log(`\ntraining on ${series.close.length} bars (${label}, h=${horizon}), median of ${runs} runs:`);
  const base = perCall(() => baseRateTraining(series, horizon), 20, runs);
  row(
    'baseline: base-rate count',
    { median: base.median / 1000, min: base.min / 1000, max: base.max / 1000 },
    'ms',
  );
  const s = perCall(() => trainModel(series, { horizon }).sampleCount, 1, runs);
  const ms = (v: Stat): Stat => ({ median: v.median / 1000, min: v.min / 1000, max: v.max / 1000 });
  row('trainModel()', ms(s), 'ms', ms(base));
}

function loadCsv(path: string): OhlcvSeries {
  const rows: OhlcvRow[] = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [date = '', o, h, l, c, v] = line.split(',');
      const iso = date.includes(' ') ? `${date.replace(' ', 'T')}Z` : `${date}T00:00:00Z`;
      return { time: Date.parse(iso), open: +o!, high: +h!, low: +l!, close: +c!, volume: +v! };
    });
  return seriesFromRows(rows);
}

const daily = syntheticSeries({ bars: 504, seed: 1, phi: 0.05 });
const minutes = syntheticSeries({ bars: 30 * 24 * 60, seed: 2, phi: 0.05, sigma: 0.0005, barMs: 60_000 });
console.log(`bench:agents  node ${process.version}  ${new Date().toISOString()}`);
inference('synthetic daily', daily, 1);
training('2 years of daily bars', daily, 1, RUNS);
training('30 days of minute bars, 1h = 60 bars', minutes, 60, 3);
training('30 days of minute bars', minutes, 1, 3);

const goog = new URL('../../shared/data/GOOG.csv', import.meta.url);
if (existsSync(goog)) {
  const series = loadCsv(goog.pathname);
  const t0 = performance.now();
  const e = evaluateWalkForward(series, { horizon: 1 });
  console.log(
    `\nwalk-forward evaluation of GOOG (${series.close.length} bars, ${e.retrains} retrains): ${(performance.now() - t0).toFixed(0)} ms`,
  );
}
if (sink === Number.MIN_VALUE) console.log(sink);

import { CHUNK } from '../jit/chunk';
import type { StatsContext } from './context';
import { drawdownSummary } from './drawdown';
import { ceilDuration, DAY_MS, isoTime } from './periods';
import { tradeSummary } from './trade-stats';
import type { BacktestStats, TradeColumns } from './types';

/** Inputs of {@link computeStats}. */
export interface ComputeStatsInput {
  ctx: StatsContext;
  /** Equity per bar (already back-filled before the first strategy bar). */
  equity: Float64Array;
  /** Closed trades only. */
  trades: TradeColumns;
  /** First bar at which every indicator has a value; Buy & Hold starts there. */
  warmup: number;
  /** Receives the drawdown per bar (fraction); allocated when absent. */
  drawdownOut?: Float64Array;
}

/**
 * backtesting.py 0.6.6's `compute_stats` with a risk-free rate of 0, over typed arrays.
 * See ../shared/reference/SEMANTICS.md for each definition.
 */
export function computeStats(input: ComputeStatsInput): { stats: BacktestStats; drawdown: Float64Array } {
  const { ctx, equity, trades, warmup } = input;
  const { time, close } = ctx;
  const n = equity.length;
  if (n === 0) throw new RangeError('cannot compute statistics of an empty series');
  const drawdown = input.drawdownOut ?? new Float64Array(n);
  const dd = drawdownSummary(equity, time, drawdown);

  const e0 = equity[0]!;
  const eLast = equity[n - 1]!;
  const ePeak = dd.peak;

  const t = tradeSummary(trades, time);
  const nt = t.count;
  const { wins, nLoss, meanPl, plStd } = t;

  // Periodic returns: last equity of each calendar bucket, then simple returns.
  const ends = ctx.bucketEnds;
  const nb = ends.length;
  const N = ctx.periodsPerYear;
  let gLog = 0;
  let gRuin = false;
  let rSum = 0;
  let downSS = 0;
  for (let b = 1; b < nb; b++) {
    const r = equity[ends[b]!]! / equity[ends[b - 1]!]! - 1;
    rSum += r;
    const g = r + 1;
    if (g <= 0 || Number.isNaN(g)) gRuin = gRuin || g <= 0;
    else gLog += Math.log(g);
    if (r < 0) downSS += r * r;
  }
  const nr = nb - 1;
  const rMean = nr > 0 ? rSum / nr : Number.NaN;
  let rSS = 0;
  for (let b = 1; b < nb; b++) {
    const d = equity[ends[b]!]! / equity[ends[b - 1]!]! - 1 - rMean;
    rSS += d * d;
  }
  const rVar = nr > 1 ? rSS / (nr - 1) : Number.NaN;
  // The library's geometric mean drops the leading NaN return: n − 1 periods.
  const gmean = gRuin ? 0 : Math.exp(gLog / (nr > 0 ? nr : Number.NaN)) - 1;
  const annReturn = (1 + gmean) ** N - 1;
  const annVol = Math.sqrt((rVar + (1 + gmean) ** 2) ** N - (1 + gmean) ** (2 * N)) * 100;
  const sortinoDen = Math.sqrt(nr > 0 ? downSS / nr : Number.NaN) * Math.sqrt(N);

  // Beta: sample covariance of log returns over all bar steps.
  const beta =
    n - 1 > 1 && ctx.marketCentered.length === n - 1
      ? betaOf(equity, ctx.marketCentered, ctx.marketSS)
      : Number.NaN;

  const durationMs = time[n - 1]! - time[0]!;
  const years = durationMs / DAY_MS / 365.25;
  const returnPct = ((eLast - e0) / e0) * 100;
  const cw = close[warmup]!;
  const buyHold = ((close[n - 1]! - cw) / cw) * 100;
  const res = ctx.resolutionMs;
  const toDays = (ms: number): number => ceilDuration(ms, res) / DAY_MS;
  const ddDur = (v: number): number => (dd.durationsAreFractions ? v : toDays(v));
  const winRate = nt > 0 ? wins / nt : Number.NaN;
  const maxDd = dd.max;

  const stats: BacktestStats = {
    Start: isoTime(time[0]!),
    End: isoTime(time[n - 1]!),
    Duration: durationMs / DAY_MS,
    'Exposure Time [%]': (t.coveredBars / n) * 100,
    'Equity Final [$]': eLast,
    'Equity Peak [$]': ePeak,
    ...(t.commissions ? { 'Commissions [$]': t.commissions } : {}),
    'Return [%]': returnPct,
    'Buy & Hold Return [%]': buyHold,
    'Return (Ann.) [%]': annReturn * 100,
    'Volatility (Ann.) [%]': annVol,
    'CAGR [%]': years ? ((eLast / e0) ** (1 / years) - 1) * 100 : Number.NaN,
    'Sharpe Ratio': (annReturn * 100) / (annVol || Number.NaN),
    'Sortino Ratio': annReturn / sortinoDen,
    'Calmar Ratio': annReturn / (maxDd || Number.NaN),
    'Alpha [%]': returnPct - beta * buyHold,
    Beta: beta,
    'Max. Drawdown [%]': -maxDd * 100,
    'Avg. Drawdown [%]': -dd.avgPeak * 100,
    'Max. Drawdown Duration': ddDur(dd.maxDurationMs),
    'Avg. Drawdown Duration': ddDur(dd.avgDurationMs),
    '# Trades': nt,
    'Win Rate [%]': winRate * 100,
    'Best Trade [%]': t.best * 100,
    'Worst Trade [%]': t.worst * 100,
    'Avg. Trade [%]': (nt === 0 ? Number.NaN : t.anyRuin ? 0 : Math.exp(t.logSum / nt) - 1) * 100,
    'Max. Trade Duration': toDays(t.maxDurationMs),
    'Avg. Trade Duration': toDays(nt > 0 ? t.sumDurationMs / nt : Number.NaN),
    'Profit Factor': t.sumPos / (Math.abs(t.sumNeg) || Number.NaN),
    'Expectancy [%]': (nt > 0 ? t.sumRet / nt : Number.NaN) * 100,
    SQN: (Math.sqrt(nt) * meanPl) / (plStd || Number.NaN),
    'Kelly Criterion':
      winRate -
      (1 - winRate) /
        ((wins > 0 ? t.sumWinPl / wins : Number.NaN) / -(nLoss > 0 ? t.sumLossPl / nLoss : Number.NaN)),
  };
  return { stats, drawdown };
}

/** cov(log equity returns, market log returns) / var(market log returns), sample. */
function betaOf(equity: Float64Array, centered: Float64Array, ss: number): number {
  const n = equity.length;
  let cov = 0;
  for (let i = 1; i < n; i += CHUNK) cov = covChunk(equity, centered, i, Math.min(n, i + CHUNK), cov);
  return Number.isFinite(cov) ? cov / ss : Number.NaN;
}

/** `cov` plus Σ log(equity[i] / equity[i−1]) × centered[i−1] over [from, to), in order. */
function covChunk(
  equity: Float64Array,
  centered: Float64Array,
  from: number,
  to: number,
  cov: number,
): number {
  const fast = covSmallSteps(equity, centered, from, to, cov);
  if (!Number.isNaN(fast)) return fast;
  let prev = equity[from - 1]!;
  for (let i = from; i < to; i++) {
    const e = equity[i]!;
    if (e !== prev) cov += logRatio(e, prev) * centered[i - 1]!;
    prev = e;
  }
  return cov;
}

/**
 * {@link covChunk} without branches (which made the loop three times slower), for chunks
 * where every equity step is small (|u| < {@link SMALL_STEP}, see {@link logRatio}): the
 * same series, so the same bits (an unchanged bar adds 0). NaN when some step is wider or
 * a term is not finite: the caller then takes the general loop.
 */
function covSmallSteps(
  equity: Float64Array,
  centered: Float64Array,
  from: number,
  to: number,
  cov: number,
): number {
  let prev = equity[from - 1]!;
  let widest = 0;
  for (let i = from; i < to; i++) {
    const e = equity[i]!;
    const u = (e - prev) / (e + prev);
    const u2 = u * u;
    widest = Math.max(widest, Math.abs(u));
    cov += 2 * u * (1 + u2 * (1 / 3 + u2 / 5)) * centered[i - 1]!;
    prev = e;
  }
  return widest < SMALL_STEP && Number.isFinite(cov) ? cov : Number.NaN;
}

/** |u| below which {@link logRatio} uses its series: about a 1 % step. */
const SMALL_STEP = 0.005;

/**
 * log(a / b) = 2 atanh(u) with u = (a − b) / (a + b). For steps within about 1 % (almost
 * every bar) three terms of the atanh series replace Math.log: a − b is exact there
 * (Sterbenz), and the truncation error is below u⁶/7 ≈ 2e-15 relative, far inside the
 * 1e-9 parity tolerance, at a fraction of the cost of a million Math.log calls per run.
 */
function logRatio(a: number, b: number): number {
  const u = (a - b) / (a + b);
  if (u > -SMALL_STEP && u < SMALL_STEP) {
    const u2 = u * u;
    return 2 * u * (1 + u2 * (1 / 3 + u2 / 5));
  }
  return Math.log(a / b);
}

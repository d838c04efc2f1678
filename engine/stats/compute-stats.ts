import type { StatsContext } from './context';
import { drawdownSummary } from './drawdown';
import { ceilDuration, DAY_MS, isoTime } from './periods';
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

  const nt = trades.count;
  const { pnl: tPnl, returnPct: tRet, commission: tCom, entryBar: tEntry, exitBar: tExit } = trades;
  let commissions = 0;
  let wins = 0;
  let best = Number.NaN;
  let worst = Number.NaN;
  let sumRet = 0;
  let sumPos = 0;
  let sumNeg = 0;
  let sumPl = 0;
  let sumWinPl = 0;
  let sumLossPl = 0;
  let nLoss = 0;
  let logSum = 0;
  let anyRuin = false;
  let maxDur = Number.NaN;
  let sumDur = 0;
  for (let k = 0; k < nt; k++) {
    commissions += tCom[k]!;
    const pl = tPnl[k]!;
    const r = tRet[k]!;
    sumPl += pl;
    if (pl > 0) {
      wins++;
      sumWinPl += pl;
    } else if (pl < 0) {
      nLoss++;
      sumLossPl += pl;
    }
    if (!(r <= best)) best = r;
    if (!(r >= worst)) worst = r;
    sumRet += r;
    if (r > 0) sumPos += r;
    else if (r < 0) sumNeg += r;
    const g = r + 1;
    if (g <= 0) anyRuin = true;
    else logSum += Math.log(g);
    const dur = time[tExit[k]!]! - time[tEntry[k]!]!;
    sumDur += dur;
    if (!(dur <= maxDur)) maxDur = dur;
  }
  const meanPl = nt > 0 ? sumPl / nt : Number.NaN;
  let plSS = 0;
  for (let k = 0; k < nt; k++) {
    const d = tPnl[k]! - meanPl;
    plSS += d * d;
  }
  const plStd = nt > 1 ? Math.sqrt(plSS / (nt - 1)) : Number.NaN;

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
    'Exposure Time [%]': (coveredBars(tEntry, tExit, nt) / n) * 100,
    'Equity Final [$]': eLast,
    'Equity Peak [$]': ePeak,
    ...(commissions ? { 'Commissions [$]': commissions } : {}),
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
    'Best Trade [%]': best * 100,
    'Worst Trade [%]': worst * 100,
    'Avg. Trade [%]': (nt === 0 ? Number.NaN : anyRuin ? 0 : Math.exp(logSum / nt) - 1) * 100,
    'Max. Trade Duration': toDays(maxDur),
    'Avg. Trade Duration': toDays(nt > 0 ? sumDur / nt : Number.NaN),
    'Profit Factor': sumPos / (Math.abs(sumNeg) || Number.NaN),
    'Expectancy [%]': (nt > 0 ? sumRet / nt : Number.NaN) * 100,
    SQN: (Math.sqrt(nt) * meanPl) / (plStd || Number.NaN),
    'Kelly Criterion':
      winRate -
      (1 - winRate) /
        ((wins > 0 ? sumWinPl / wins : Number.NaN) / -(nLoss > 0 ? sumLossPl / nLoss : Number.NaN)),
  };
  return { stats, drawdown };
}

/** Number of bars inside the union of the inclusive [entry, exit] intervals. */
function coveredBars(entry: Float64Array, exit: Float64Array, m: number): number {
  if (m === 0) return 0;
  let sorted = true;
  for (let k = 1; k < m && sorted; k++) sorted = entry[k]! >= entry[k - 1]!;
  const order = sorted ? null : Array.from({ length: m }, (_, k) => k).sort((a, b) => entry[a]! - entry[b]!);
  let covered = 0;
  let curStart = -1;
  let curEnd = -2;
  for (let j = 0; j < m; j++) {
    const k = order === null ? j : order[j]!;
    const s = entry[k]!;
    const e = exit[k]!;
    if (s > curEnd) {
      if (curEnd >= curStart) covered += curEnd - curStart + 1;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) curEnd = e;
  }
  covered += curEnd - curStart + 1;
  return covered;
}

/** cov(log equity returns, market log returns) / var(market log returns), sample. */
function betaOf(equity: Float64Array, centered: Float64Array, ss: number): number {
  const n = equity.length;
  let cov = 0;
  let prev = equity[0]!;
  for (let i = 1; i < n; i++) {
    const e = equity[i]!;
    if (e !== prev) cov += logRatio(e, prev) * centered[i - 1]!;
    prev = e;
  }
  return Number.isFinite(cov) ? cov / ss : Number.NaN;
}

/**
 * log(a / b). For ratios within 1 % of 1 (almost every bar) a degree-8 series of
 * log(1 + x) replaces Math.log: x = a/b − 1 is exact there (Sterbenz) and the truncation
 * error is below |x|⁸/9 relative, far inside the 1e-9 parity tolerance, at a fraction of
 * the cost of a million Math.log calls per run.
 */
function logRatio(a: number, b: number): number {
  const r = a / b;
  const x = r - 1;
  if (x > -0.01 && x < 0.01) {
    return (
      x * (1 - x * (1 / 2 - x * (1 / 3 - x * (1 / 4 - x * (1 / 5 - x * (1 / 6 - x * (1 / 7 - x / 8)))))))
    );
  }
  return Math.log(r);
}

import { CHUNK } from '../jit/chunk';

/** Drawdown episodes of an equity curve, summarised as backtesting.py reports them. */
export interface DrawdownSummary {
  /** Highest equity. */
  peak: number;
  /** Largest drawdown (fraction, ≥ 0); 0 for a curve that never falls. */
  max: number;
  /** Mean of episode depths (fraction), NaN without episodes. */
  avgPeak: number;
  /** Longest episode, ms (NaN without episodes). */
  maxDurationMs: number;
  /** Mean episode duration, ms. */
  avgDurationMs: number;
  /**
   * backtesting.py quirk: with no complete episode it reports the non-zero drawdown
   * values themselves (fractions) as "durations". True in that case.
   */
  durationsAreFractions: boolean;
}

// Slots of the running state carried between chunks.
const PEAK = 0;
const MAX = 1;
const PREV_ZERO = 2;
const EPISODE_MAX = 3;
const COUNT = 4;
const SUM_PEAK = 5;
const SUM_DUR = 6;
const MAX_DUR = 7;
const ST_SIZE = 8;

/**
 * Fills `out` with the drawdown 1 − equity / running max and summarises its episodes:
 * an episode runs between consecutive bars at drawdown exactly 0 (or to the last bar)
 * with at least one bar between them; its depth is the largest drawdown inside and its
 * duration the time between its ends.
 */
export function drawdownSummary(
  equity: Float64Array,
  time: Float64Array,
  out: Float64Array,
): DrawdownSummary {
  const n = equity.length;
  const st = new Float64Array(ST_SIZE);
  st[PEAK] = Number.NEGATIVE_INFINITY;
  st[MAX] = Number.NaN;
  st[PREV_ZERO] = -1;
  st[MAX_DUR] = Number.NaN;
  for (let i = 0; i < n; i += CHUNK) drawdownChunk(equity, time, out, i, Math.min(n, i + CHUNK), st);
  const peak = st[PEAK]!;
  const max = st[MAX]!;
  const count = st[COUNT]!;
  const sumPeak = st[SUM_PEAK]!;
  const sumDur = st[SUM_DUR]!;
  const maxDur = st[MAX_DUR]!;
  if (count > 0) {
    return {
      peak,
      max: !Number.isNaN(max) ? max : 0,
      avgPeak: sumPeak / count,
      maxDurationMs: maxDur,
      avgDurationMs: sumDur / count,
      durationsAreFractions: false,
    };
  }
  let nz = 0;
  let nzSum = 0;
  let nzMax = Number.NaN;
  for (let i = 0; i < n; i++) {
    const dd = out[i]!;
    if (dd !== 0 && !Number.isNaN(dd)) {
      nz++;
      nzSum += dd;
      if (!(dd <= nzMax)) nzMax = dd;
    }
  }
  const avg = nz > 0 ? nzSum / nz : Number.NaN;
  return {
    peak,
    max: !Number.isNaN(max) ? max : 0,
    avgPeak: avg,
    maxDurationMs: nzMax,
    avgDurationMs: avg,
    durationsAreFractions: true,
  };
}

function drawdownChunk(
  equity: Float64Array,
  time: Float64Array,
  out: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
): void {
  const last = equity.length - 1;
  let peak = st[PEAK]!;
  let max = st[MAX]!;
  let prevZero = st[PREV_ZERO]!;
  let episodeMax = st[EPISODE_MAX]!;
  let count = st[COUNT]!;
  let sumPeak = st[SUM_PEAK]!;
  let sumDur = st[SUM_DUR]!;
  let maxDur = st[MAX_DUR]!;
  for (let i = from; i < to; i++) {
    const e = equity[i]!;
    if (e > peak || Number.isNaN(peak)) peak = e;
    const dd = 1 - e / peak;
    out[i] = dd;
    if (!Number.isNaN(dd) && !(dd <= max)) max = dd;
    if (dd > episodeMax) episodeMax = dd;
    if (dd === 0 || i === last) {
      if (prevZero >= 0 && i > prevZero + 1) {
        const dur = time[i]! - time[prevZero]!;
        count++;
        sumPeak += episodeMax;
        sumDur += dur;
        if (!(dur <= maxDur)) maxDur = dur;
      }
      if (dd === 0) {
        prevZero = i;
        episodeMax = 0;
      }
    }
  }
  st[PEAK] = peak;
  st[MAX] = max;
  st[PREV_ZERO] = prevZero;
  st[EPISODE_MAX] = episodeMax;
  st[COUNT] = count;
  st[SUM_PEAK] = sumPeak;
  st[SUM_DUR] = sumDur;
  st[MAX_DUR] = maxDur;
}

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
  let peak = Number.NEGATIVE_INFINITY;
  let max = Number.NaN;
  let prevZero = -1;
  let episodeMax = 0;
  let count = 0;
  let sumPeak = 0;
  let sumDur = 0;
  let maxDur = Number.NaN;
  for (let i = 0; i < n; i++) {
    const e = equity[i]!;
    if (e > peak || Number.isNaN(peak)) peak = e;
    const dd = 1 - e / peak;
    out[i] = dd;
    if (!Number.isNaN(dd) && !(dd <= max)) max = dd;
    if (dd > episodeMax) episodeMax = dd;
    if (dd === 0 || i === n - 1) {
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

import { clampProbability } from './math';

const MIN_STD_ERR = 1e-9;

/** Scores of one predictor over the walk-forward rows. */
export interface PredictorMetrics {
  /** Rows predicted (all have a known outcome). */
  count: number;
  /** Rows where the predictor called up or down (not flat). */
  decided: number;
  /** Share of correct calls among decided rows; null when none were decided. */
  hitRate: number | null;
  /** Mean (P(up) − outcome)² over all rows. */
  brier: number;
  /** Mean binary log loss of P(up) over all rows (natural log). */
  logLoss: number;
  /**
   * Mean per-row log-loss improvement over the base-rate baseline (positive = better), with a
   * Newey–West standard error (lag h − 1, since overlapping horizons correlate rows) and t-statistic.
   */
  vsBaseRate: { logLossGain: number; stdErr: number; tStat: number } | null;
  /** Share of rows whose realised return fell inside the predicted interval; null if no interval. */
  intervalCoverage: number | null;
}

/** Inputs of {@link scorePredictor}, all indexed by walk-forward row. */
export interface PredictorRows {
  pUp: ArrayLike<number>;
  /** Called side: 1 up, −1 down, 0 flat. */
  side: ArrayLike<number>;
  interval?: { lower: ArrayLike<number>; upper: ArrayLike<number> };
}

/** Outcomes of the walk-forward rows. */
export interface Outcomes {
  /** 1 when the forward return was > 0. */
  up: Uint8Array;
  /** Realised forward simple return. */
  ret: Float64Array;
  /** Per-row log loss of the base-rate baseline, for the paired comparison. */
  baseLoss: Float64Array;
  horizon: number;
}

/** Per-row binary log loss. */
export function rowLogLoss(p: number, up: number): number {
  const q = clampProbability(p);
  return up === 1 ? -Math.log(q) : -Math.log(1 - q);
}

/** Scores one predictor against the outcomes. */
export function scorePredictor(rows: PredictorRows, outcomes: Outcomes): PredictorMetrics {
  const n = outcomes.up.length;
  let decided = 0;
  let hits = 0;
  let brier = 0;
  let loss = 0;
  let covered = 0;
  const gain = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const p = rows.pUp[k]!;
    const y = outcomes.up[k]!;
    const side = rows.side[k]!;
    if (side !== 0) {
      decided++;
      if ((side > 0 ? 1 : 0) === y) hits++;
    }
    brier += (p - y) * (p - y);
    const l = rowLogLoss(p, y);
    loss += l;
    gain[k] = outcomes.baseLoss[k]! - l;
    if (rows.interval) {
      const r = outcomes.ret[k]!;
      if (r >= rows.interval.lower[k]! && r <= rows.interval.upper[k]!) covered++;
    }
  }
  return {
    count: n,
    decided,
    hitRate: decided > 0 ? hits / decided : null,
    brier: n > 0 ? brier / n : 0,
    logLoss: n > 0 ? loss / n : 0,
    vsBaseRate: n > 1 ? meanWithHacStdErr(gain, Math.max(0, outcomes.horizon - 1)) : null,
    intervalCoverage: rows.interval && n > 0 ? covered / n : null,
  };
}

/** Mean of x with a Newey–West (Bartlett) standard error at the given lag. */
export function meanWithHacStdErr(
  x: Float64Array,
  lag: number,
): { logLossGain: number; stdErr: number; tStat: number } {
  const n = x.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += x[k]!;
  mean /= n;
  let lrv = 0;
  for (let k = 0; k < n; k++) lrv += (x[k]! - mean) ** 2;
  for (let l = 1; l <= Math.min(lag, n - 1); l++) {
    let c = 0;
    for (let k = l; k < n; k++) c += (x[k]! - mean) * (x[k - l]! - mean);
    lrv += 2 * (1 - l / (lag + 1)) * c;
  }
  const stdErr = Math.sqrt(Math.max(lrv, 0) / n) / Math.sqrt(n);
  // A predictor that equals the base rate differs from it only by rounding (~1e-18), which would
  // otherwise produce a large, meaningless t-statistic.
  return { logLossGain: mean, stdErr, tStat: stdErr > MIN_STD_ERR ? mean / stdErr : 0 };
}

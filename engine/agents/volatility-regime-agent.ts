import { F, FEATURE_COUNT } from './features';
import { quantileSorted } from './math';
import type { RegimeParams } from './schema';
import { labelMean, type TrainingSet } from './training-set';

// Each cell's rate is shrunk toward the overall base rate as if it had this many extra rows.
const PRIOR_ROWS = 20;

/**
 * Regime cell of a feature row: volatility tercile (short vs long volatility) × trending
 * (efficiency ratio above the training median) or choppy.
 */
export function regimeCell(params: RegimeParams, x: ArrayLike<number>, offset: number): number {
  const vr = x[offset + F.volRatio10of40]!;
  const tercile = vr <= params.volCuts[0] ? 0 : vr <= params.volCuts[1] ? 1 : 2;
  return tercile * 2 + (x[offset + F.efficiency20]! > params.efficiencyCut ? 1 : 0);
}

/** Fits the volatility/regime agent: the up rate in each regime cell, shrunk to the base rate. */
export function fitVolatilityRegime(ts: TrainingSet): RegimeParams {
  const n = ts.y.length;
  const vr = new Float64Array(n);
  const eff = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const off = (ts.lo + k) * FEATURE_COUNT;
    vr[k] = ts.fm.values[off + F.volRatio10of40]!;
    eff[k] = ts.fm.values[off + F.efficiency20]!;
  }
  vr.sort();
  eff.sort();
  const params: RegimeParams = {
    volCuts: [quantileSorted(vr, 1 / 3), quantileSorted(vr, 2 / 3)],
    efficiencyCut: quantileSorted(eff, 0.5),
    pUp: [0, 0, 0, 0, 0, 0],
    counts: [0, 0, 0, 0, 0, 0],
  };
  const ups = [0, 0, 0, 0, 0, 0];
  for (let k = 0; k < n; k++) {
    const cell = regimeCell(params, ts.fm.values, (ts.lo + k) * FEATURE_COUNT);
    params.counts[cell]! += 1;
    ups[cell]! += ts.y[k]!;
  }
  const base = labelMean(ts.y);
  for (let c = 0; c < 6; c++) {
    params.pUp[c] = (ups[c]! + PRIOR_ROWS * base) / (params.counts[c]! + PRIOR_ROWS);
  }
  return params;
}

/** Volatility/regime agent's P(up) for the feature row at x[offset ..]. */
export function volatilityRegimeProbability(
  params: RegimeParams,
  x: ArrayLike<number>,
  offset: number,
): number {
  return params.pUp[regimeCell(params, x, offset)]!;
}

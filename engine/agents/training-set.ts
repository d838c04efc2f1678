import type { FeatureMatrix } from './features';

/** Labelled rows [lo, hi] of a feature matrix; y[k] is the label of row lo + k. */
export interface TrainingSet {
  readonly fm: FeatureMatrix;
  readonly lo: number;
  readonly hi: number;
  readonly y: Uint8Array;
}

/**
 * Label of row i for horizon h: 1 when close[i + h] > close[i], else 0 (a zero move counts as not up).
 * The label is known only once bar i + h has closed, so a model deciding at bar t may use rows i <= t − h.
 */
export function upLabel(close: ArrayLike<number>, i: number, horizon: number): number {
  return close[i + horizon]! > close[i]! ? 1 : 0;
}

/** Builds the labelled rows [lo, hi]; the caller guarantees hi + horizon is a known bar. */
export function trainingSet(
  fm: FeatureMatrix,
  close: ArrayLike<number>,
  lo: number,
  hi: number,
  horizon: number,
): TrainingSet {
  const y = new Uint8Array(hi - lo + 1);
  for (let i = lo; i <= hi; i++) y[i - lo] = upLabel(close, i, horizon);
  return { fm, lo, hi, y };
}

/** Share of labels equal to 1. */
export function labelMean(y: Uint8Array): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) s += y[k]!;
  return y.length > 0 ? s / y.length : 0.5;
}

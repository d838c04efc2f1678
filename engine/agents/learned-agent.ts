import { FEATURE_COUNT, FEATURE_NAMES } from './features';
import { fitLogistic } from './logistic';
import { quantileSorted, sigmoid } from './math';
import type { FeatureStats, LearnedParams } from './schema';
import type { TrainingSet } from './training-set';

const MIN_STD = 1e-9;
const MIN_OUTLIER_THRESHOLD = 3;

/**
 * Training-set mean and standard deviation of each feature, and the outlier threshold:
 * the 99th percentile of a row's max |z| over the training rows.
 */
export function fitFeatureStats(ts: TrainingSet): FeatureStats {
  const n = ts.y.length;
  const v = ts.fm.values;
  const mean = new Array<number>(FEATURE_COUNT).fill(0);
  const std = new Array<number>(FEATURE_COUNT).fill(0);
  for (let i = ts.lo; i <= ts.hi; i++) {
    for (let j = 0; j < FEATURE_COUNT; j++) mean[j]! += v[i * FEATURE_COUNT + j]!;
  }
  for (let j = 0; j < FEATURE_COUNT; j++) mean[j]! /= n;
  for (let i = ts.lo; i <= ts.hi; i++) {
    for (let j = 0; j < FEATURE_COUNT; j++) {
      const e = v[i * FEATURE_COUNT + j]! - mean[j]!;
      std[j]! += e * e;
    }
  }
  for (let j = 0; j < FEATURE_COUNT; j++) {
    const s = Math.sqrt(std[j]! / Math.max(n - 1, 1));
    std[j] = s > MIN_STD ? s : 1;
  }
  const stats: FeatureStats = {
    names: [...FEATURE_NAMES],
    mean,
    std,
    outlierThreshold: MIN_OUTLIER_THRESHOLD,
  };
  const maxZ = new Float64Array(n);
  for (let i = ts.lo; i <= ts.hi; i++) maxZ[i - ts.lo] = outlierScore(stats, v, i * FEATURE_COUNT);
  maxZ.sort();
  stats.outlierThreshold = Math.max(MIN_OUTLIER_THRESHOLD, quantileSorted(maxZ, 0.99));
  return stats;
}

/** Largest |z-score| of a feature row against the training statistics. */
export function outlierScore(stats: FeatureStats, x: ArrayLike<number>, offset: number): number {
  let m = 0;
  for (let j = 0; j < FEATURE_COUNT; j++) {
    const z = Math.abs((x[offset + j]! - stats.mean[j]!) / stats.std[j]!);
    if (z > m) m = z;
  }
  return m;
}

/** Fits the learned agent: L2 logistic regression (Newton/IRLS) on standardised features. */
export function fitLearned(ts: TrainingSet, stats: FeatureStats, l2: number): LearnedParams {
  const n = ts.y.length;
  const x = new Float64Array(n * FEATURE_COUNT);
  const v = ts.fm.values;
  for (let k = 0; k < n; k++) {
    const src = (ts.lo + k) * FEATURE_COUNT;
    const dst = k * FEATURE_COUNT;
    for (let j = 0; j < FEATURE_COUNT; j++) x[dst + j] = (v[src + j]! - stats.mean[j]!) / stats.std[j]!;
  }
  const fit = fitLogistic(x, ts.y, n, FEATURE_COUNT, { l2 });
  return { intercept: fit.intercept, weights: fit.weights, l2 };
}

/** Learned agent's P(up) for the (raw, unstandardised) feature row at x[offset ..]. */
export function learnedProbability(
  params: LearnedParams,
  stats: FeatureStats,
  x: ArrayLike<number>,
  offset: number,
): number {
  let z = params.intercept;
  for (let j = 0; j < FEATURE_COUNT; j++) {
    z += (params.weights[j]! * (x[offset + j]! - stats.mean[j]!)) / stats.std[j]!;
  }
  return sigmoid(z);
}

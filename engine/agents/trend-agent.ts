import { F, FEATURE_COUNT } from './features';
import type { SignalParams } from './schema';
import { fitSignal, signalProbability } from './signal-agent';
import type { TrainingSet } from './training-set';

/** Trend score of a feature row: mean of the volatility-scaled 10- and 40-bar momentum. */
export function trendScore(x: ArrayLike<number>, offset: number): number {
  return 0.5 * (x[offset + F.mom10]! + x[offset + F.mom40]!);
}

/** Fits the trend agent's score → P(up) map on a training set. */
export function fitTrend(ts: TrainingSet): SignalParams {
  const scores = new Float64Array(ts.y.length);
  for (let i = ts.lo; i <= ts.hi; i++) scores[i - ts.lo] = trendScore(ts.fm.values, i * FEATURE_COUNT);
  return fitSignal(scores, ts.y);
}

/** Trend agent's P(up) for the feature row at x[offset ..]. */
export function trendProbability(params: SignalParams, x: ArrayLike<number>, offset: number): number {
  return signalProbability(params, trendScore(x, offset));
}

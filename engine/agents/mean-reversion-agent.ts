import { F, FEATURE_COUNT } from './features';
import type { SignalParams } from './schema';
import { fitSignal, signalProbability } from './signal-agent';
import type { TrainingSet } from './training-set';

/**
 * Mean-reversion score: how far price is stretched below its 20-bar band and how oversold
 * the 14-bar RSI is (positive = stretched down, so expected to rise).
 */
export function meanReversionScore(x: ArrayLike<number>, offset: number): number {
  return -0.5 * (x[offset + F.bollingerZ20]! + 2 * x[offset + F.rsi14]!);
}

/** Fits the mean-reversion agent's score → P(up) map on a training set. */
export function fitMeanReversion(ts: TrainingSet): SignalParams {
  const scores = new Float64Array(ts.y.length);
  for (let i = ts.lo; i <= ts.hi; i++) {
    scores[i - ts.lo] = meanReversionScore(ts.fm.values, i * FEATURE_COUNT);
  }
  return fitSignal(scores, ts.y);
}

/** Mean-reversion agent's P(up) for the feature row at x[offset ..]. */
export function meanReversionProbability(params: SignalParams, x: ArrayLike<number>, offset: number): number {
  return signalProbability(params, meanReversionScore(x, offset));
}

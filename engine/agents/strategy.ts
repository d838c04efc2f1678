import type { OhlcvSeries } from '../data/bars';
import type { TrainOptions } from './fit-model';
import { sideOf } from './score-row';
import { runWalkForward } from './walk-forward';

/** Options of {@link predictionTargets}. */
export interface PredictionTargetOptions extends TrainOptions {
  /** Retrain every k bars (using bars up to the retrain bar only). Default: max(horizon, 20). */
  retrainEvery?: number;
  /** Take short positions on 'down' calls; otherwise go flat. Default true. */
  allowShort?: boolean;
}

/**
 * Walk-forward position targets for a backtest: targets[i] ∈ {−1, 0, 1} is the position decided
 * at the close of bar i from the ensemble's call for the next `horizon` bars ('flat' → 0).
 * Bars before minimumHistory(horizon) − 1 get 0. targets[i] depends on bars ..= i only.
 * Feed it to `fromTargets(targets)` in engine/strategies.
 */
export function predictionTargets(series: OhlcvSeries, options: PredictionTargetOptions): Int8Array {
  const targets = new Int8Array(series.close.length);
  const run = runWalkForward(series, {
    ...options,
    step: options.retrainEvery ?? Math.max(options.horizon, 20),
  });
  const allowShort = options.allowShort ?? true;
  for (let k = 0; k < run.index.length; k++) {
    const side = sideOf(run.ensemble[k]!, run.flatBand);
    targets[run.index[k]!] = side === -1 && !allowShort ? 0 : side;
  }
  return targets;
}

import { fitLogistic } from './logistic';
import { logit, sigmoid } from './math';
import type { SignalParams } from './schema';

// Only the slope is penalised; a light penalty keeps a flat score from producing a huge slope.
const SIGNAL_L2 = 1;

/**
 * Maps a one-dimensional agent score to P(up) by a logistic fit on training rows.
 * The slope is constrained to be >= 0: when the training data say the agent's idea points the
 * wrong way, the agent abstains (base rate) rather than silently becoming its opposite.
 */
export function fitSignal(scores: Float64Array, y: Uint8Array): SignalParams {
  const n = y.length;
  const fit = fitLogistic(scores, y, n, 1, { l2: SIGNAL_L2 });
  const slope = fit.weights[0]!;
  if (slope > 0) return { intercept: fit.intercept, slope };
  let ups = 0;
  for (let k = 0; k < n; k++) ups += y[k]!;
  return { intercept: logit(n > 0 ? ups / n : 0.5), slope: 0 };
}

/** P(up) of a signal agent for a score. */
export function signalProbability(params: SignalParams, score: number): number {
  return sigmoid(params.intercept + params.slope * score);
}

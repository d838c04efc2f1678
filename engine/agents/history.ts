import { FEATURE_WINDOW } from './features';

/**
 * Fewest labelled rows a training needs: half of them fit the agents for the inner walk-forward,
 * whose first fold must still have about 30 rows after purging the h rows whose labels overlap.
 */
export function minimumSamples(horizon: number): number {
  return Math.max(60, 2 * horizon + 60);
}

/**
 * Bars of history `trainModel` needs for a horizon of h bars (the API answers 422 below this).
 * `predict` itself needs only FEATURE_WINDOW + 1 bars.
 */
export function minimumHistory(horizon: number): number {
  return FEATURE_WINDOW + horizon + minimumSamples(horizon);
}

/** Thrown when a series is too short to train on or predict from. */
export class InsufficientHistoryError extends Error {
  override readonly name = 'InsufficientHistoryError';
  constructor(
    readonly required: number,
    readonly available: number,
  ) {
    super(`need at least ${required} bars, got ${available}`);
  }
}

/**
 * Labelled rows a model trained at the close of bar t may use: [lo, t − h], since the label of
 * row i is known only after bar i + h. With a rolling window only its last `trainWindow` rows.
 */
export function trainingRange(
  t: number,
  horizon: number,
  trainWindow: number | undefined,
): { lo: number; hi: number } {
  const hi = t - horizon;
  const lo = trainWindow === undefined ? FEATURE_WINDOW : Math.max(FEATURE_WINDOW, hi - trainWindow + 1);
  return { lo, hi };
}

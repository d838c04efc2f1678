import type { OhlcvSeries } from '../data/bars';
import { FEATURE_COUNT, FEATURE_WINDOW, featuresAt } from './features';
import { InsufficientHistoryError } from './history';
import { returnEstimate } from './return-model';
import { AGENT_NAMES, type AgentVote, type Direction, type Prediction, type TrainedModel } from './schema';
import { scoreRow, sideOf } from './score-row';

const DIRECTIONS: Record<-1 | 0 | 1, Direction> = { [-1]: 'down', 0: 'flat', 1: 'up' };

/**
 * Predicts the move from the close of bar `asOfIndex` (default: the last bar) to `horizon` bars later.
 * Reads bars (asOfIndex − FEATURE_WINDOW) ..= asOfIndex only; the caller must pass only closed
 * bars or point `asOfIndex` at the last closed one (see `lastClosedIndex`).
 * @throws InsufficientHistoryError when asOfIndex < FEATURE_WINDOW
 * @throws RangeError when the model was trained on bars after asOfIndex (that would be look-ahead)
 */
export function predict(model: TrainedModel, series: OhlcvSeries, asOfIndex?: number): Prediction {
  const n = series.close.length;
  const i = asOfIndex ?? n - 1;
  if (!Number.isInteger(i) || i >= n) throw new RangeError(`asOfIndex ${i} outside the series (${n} bars)`);
  if (i < FEATURE_WINDOW) throw new InsufficientHistoryError(FEATURE_WINDOW + 1, Math.max(i + 1, 0));
  const asOfTime = series.time[i]!;
  if (asOfTime < model.trainedThroughTime) {
    throw new RangeError('model was trained on bars after asOfIndex; predicting with it would look ahead');
  }
  const x = new Float64Array(FEATURE_COUNT);
  const vol20 = featuresAt(series, i, x);
  const row = scoreRow(model, x, 0);
  const weights = model.ensemble.weights;
  const votes: AgentVote[] = AGENT_NAMES.map((name, a) => {
    const p = row.agents[a]!;
    return {
      ...called(p, model.flatBand),
      name,
      probabilityUp: p,
      expectedReturn: returnEstimate(model.returns, p, vol20).mean,
      weight: weights[name],
    };
  });
  return {
    ...called(row.pUp, model.flatBand),
    probabilityUp: row.pUp,
    expectedReturn: returnEstimate(model.returns, row.pUp, vol20),
    horizon: model.horizon,
    votes,
    modelVersion: model.version,
    trainedAt: model.trainedAt,
    asOfTime,
    outlier: {
      flag: row.outlierScore > model.features.outlierThreshold,
      score: row.outlierScore,
      threshold: model.features.outlierThreshold,
    },
  };
}

function called(pUp: number, flatBand: number): { direction: Direction; probability: number } {
  const side = sideOf(pUp, flatBand);
  return {
    direction: DIRECTIONS[side],
    probability: side === 1 ? pUp : side === -1 ? 1 - pUp : Math.max(pUp, 1 - pUp),
  };
}

/**
 * Index of the last bar that has closed at `nowMs`, given the bar length (default: the median
 * spacing of the series). A bar whose close (open + length) is still in the future is excluded.
 */
export function lastClosedIndex(
  series: OhlcvSeries,
  nowMs: number,
  barMs = medianSpacing(series.time),
): number {
  let i = series.time.length - 1;
  while (i >= 0 && series.time[i]! + barMs > nowMs) i--;
  return i;
}

/** Median spacing of bar open times in ms (0 for fewer than two bars). */
export function medianSpacing(time: ArrayLike<number>): number {
  const n = time.length;
  if (n < 2) return 0;
  const d = new Float64Array(n - 1);
  for (let k = 1; k < n; k++) d[k - 1] = time[k]! - time[k - 1]!;
  d.sort();
  return d[(n - 2) >> 1]!;
}

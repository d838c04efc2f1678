import type { OhlcvSeries } from '../data/bars';
import { featureMatrix } from './features';
import { fitModelAt, type TrainOptions } from './fit-model';
import { InsufficientHistoryError, minimumHistory } from './history';
import type { TrainedModel } from './schema';

/** Options of {@link trainModel}. */
export interface TrainModelOptions extends TrainOptions {
  /** Last bar to train through (inclusive); defaults to the last bar of the series. */
  throughIndex?: number;
}

/**
 * Trains the agents and the ensemble on a symbol's own history, through `throughIndex`
 * (default: the last bar, which must be closed). Bars after `throughIndex` are never read.
 * @throws InsufficientHistoryError when fewer than `minimumHistory(horizon)` bars are available
 */
export function trainModel(series: OhlcvSeries, options: TrainModelOptions): TrainedModel {
  const n = series.close.length;
  const t = options.throughIndex ?? n - 1;
  if (!Number.isInteger(t) || t >= n)
    throw new RangeError(`throughIndex ${t} outside the series (${n} bars)`);
  const need = minimumHistory(options.horizon);
  if (t + 1 < need) throw new InsufficientHistoryError(need, Math.max(t + 1, 0));
  const fm = featureMatrix(series, t + 1);
  return fitModelAt(fm, series.close, series.time, t, options);
}

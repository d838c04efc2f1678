import { CHUNK } from '../jit/chunk';
import { outputArray } from './output';
import { rollingStd } from './rolling-std';
import { sma } from './sma';

/** Bollinger bands: middle = SMA, upper/lower = middle ± k × standard deviation. */
export interface BollingerResult {
  middle: Float64Array;
  upper: Float64Array;
  lower: Float64Array;
}

/**
 * Bollinger bands over `period` values. The deviation is the population one (ddof 0),
 * as John Bollinger, TA-Lib and `technicalindicators` define it; pass `ddof: 1` for
 * pandas' sample deviation.
 */
export function bollinger(
  values: Float64Array,
  period = 20,
  k = 2,
  opts: { ddof?: 0 | 1; out?: Partial<BollingerResult> } = {},
): BollingerResult {
  const n = values.length;
  const middle = sma(values, period, outputArray(n, opts.out?.middle));
  const upper = rollingStd(values, period, opts.ddof ?? 0, outputArray(n, opts.out?.upper));
  const lower = outputArray(n, opts.out?.lower);
  for (let i = 0; i < n; i += CHUNK) bandsChunk(middle, upper, lower, k, i, Math.min(n, i + CHUNK));
  return { middle, upper, lower };
}

/** upper/lower = middle ± k × deviation, the deviation read from (and replaced in) `upper`. */
function bandsChunk(
  middle: Float64Array,
  upper: Float64Array,
  lower: Float64Array,
  k: number,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const m = middle[i]!;
    const d = k * upper[i]!;
    upper[i] = m + d;
    lower[i] = m - d;
  }
}

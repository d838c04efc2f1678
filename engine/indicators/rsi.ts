import { checkPeriod, outputArray } from './output';

/**
 * Relative strength index with Wilder's smoothing: average gain and loss seeded with the
 * simple mean of the first `period` changes, first value at index `period`.
 * 100 when the average loss is 0, 0 when the average gain is 0 (as `technicalindicators`,
 * which additionally rounds to 2 decimals; this does not round).
 */
export function rsi(values: Float64Array, period = 14, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const res = outputArray(n, out);
  let gain = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      res[0] = Number.NaN;
      continue;
    }
    const d = values[i]! - values[i - 1]!;
    const g = Math.max(d, 0);
    const l = Math.max(-d, 0);
    if (i < period) {
      gain += g;
      loss += l;
      res[i] = Number.NaN;
      continue;
    }
    if (i === period) {
      gain = (gain + g) / period;
      loss = (loss + l) / period;
    } else {
      gain = (gain * (period - 1) + g) / period;
      loss = (loss * (period - 1) + l) / period;
    }
    res[i] = loss === 0 ? 100 : gain === 0 ? 0 : 100 - 100 / (1 + gain / loss);
  }
  return res;
}

import { checkPeriod, outputArray } from './output';

/** Exact re-summation interval: bounds the drift of the incremental update. */
const RESYNC = 1024;

/**
 * Linearly weighted moving average (weights 1..period, newest heaviest), NaN until the
 * window is full. O(n): the weighted sum is updated incrementally and recomputed exactly
 * every {@link RESYNC} bars so rounding cannot accumulate.
 */
export function wma(values: Float64Array, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const res = outputArray(n, out);
  const denom = (period * (period + 1)) / 2;
  let weighted = 0;
  let plain = 0;
  for (let i = 0; i < n; i++) {
    if (i < period - 1) {
      res[i] = Number.NaN;
      continue;
    }
    if (i === period - 1 || (i - period + 1) % RESYNC === 0) {
      weighted = 0;
      plain = 0;
      for (let k = 0; k < period; k++) {
        const v = values[i - period + 1 + k]!;
        weighted += v * (k + 1);
        plain += v;
      }
    } else {
      const v = values[i]!;
      weighted += period * v - plain;
      plain += v - values[i - period]!;
    }
    res[i] = weighted / denom;
  }
  return res;
}

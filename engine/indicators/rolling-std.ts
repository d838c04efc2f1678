import { CHUNK } from '../jit/chunk';
import { checkPeriod, outputArray } from './output';
import { sma } from './sma';

/** Exact re-summation interval for the sliding variance. */
const RESYNC = 1024;

/**
 * Rolling standard deviation over `period` values, NaN until the window is full.
 * `ddof` 0 is the population deviation (Bollinger's and `technicalindicators`'
 * convention, the default), 1 the sample deviation (pandas' `rolling().std()`).
 * O(n) sliding update of the mean and the sum of squared deviations, resynchronised
 * exactly every {@link RESYNC} bars.
 */
export function rollingStd(values: Float64Array, period: number, ddof = 0, out?: Float64Array): Float64Array {
  checkPeriod(period);
  if (ddof !== 0 && ddof !== 1) throw new RangeError('ddof must be 0 or 1');
  const n = values.length;
  const res = outputArray(n, out);
  const first = Math.min(n, period - 1);
  res.fill(Number.NaN, 0, first);
  // Window mean and sum of squared deviations.
  const st = new Float64Array(2);
  for (let i = first; i < n; i += CHUNK) stdChunk(values, period, ddof, res, i, Math.min(n, i + CHUNK), st);
  return res;
}

function stdChunk(
  values: Float64Array,
  period: number,
  ddof: number,
  res: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
): void {
  const denom = period - ddof;
  let mean = st[0]!;
  let m2 = st[1]!;
  for (let i = from; i < to; i++) {
    let exact = i === period - 1 || (i - period + 1) % RESYNC === 0;
    if (!exact) {
      const x = values[i]!;
      const old = values[i - period]!;
      const prevMean = mean;
      mean = prevMean + (x - old) / period;
      m2 += (x - old) * (x - mean + old - prevMean);
      // Near-zero variance is where the sliding update's rounding dominates (the square
      // root magnifies it): recompute that window exactly.
      exact = m2 <= 1e-10 * mean * mean * period;
    }
    if (exact) {
      let s = 0;
      for (let k = i - period + 1; k <= i; k++) s += values[k]!;
      mean = s / period;
      m2 = 0;
      for (let k = i - period + 1; k <= i; k++) {
        const d = values[k]! - mean;
        m2 += d * d;
      }
    }
    res[i] = denom > 0 ? Math.sqrt(m2 / denom) : Number.NaN;
  }
  st[0] = mean;
  st[1] = m2;
}

/**
 * Rolling z-score: (value − rolling mean) / rolling standard deviation (same `ddof`
 * convention as {@link rollingStd}); NaN in the warm-up and where the deviation is 0.
 */
export function zScore(values: Float64Array, period: number, ddof = 0, out?: Float64Array): Float64Array {
  const n = values.length;
  const res = outputArray(n, out);
  const mean = sma(values, period);
  const sd = rollingStd(values, period, ddof);
  for (let i = 0; i < n; i++) {
    const s = sd[i]!;
    res[i] = s > 0 ? (values[i]! - mean[i]!) / s : Number.NaN;
  }
  return res;
}

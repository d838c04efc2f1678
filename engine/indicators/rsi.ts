import { CHUNK } from '../jit/chunk';
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
  if (n === 0) return res;
  res[0] = Number.NaN;
  // Average gain and loss (sums until the seed at index `period`).
  const st = new Float64Array(2);
  for (let i = 1; i < n; i += CHUNK) rsiChunk(values, period, res, i, Math.min(n, i + CHUNK), st);
  return res;
}

function rsiChunk(
  values: Float64Array,
  period: number,
  res: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
): void {
  let gain = st[0]!;
  let loss = st[1]!;
  for (let i = from; i < to; i++) {
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
  st[0] = gain;
  st[1] = loss;
}

import { CHUNK } from '../jit/chunk';
import { checkPeriod, outputArray } from './output';

/**
 * Exponential moving average with alpha = 2 / (period + 1), seeded with the simple
 * average of the first `period` values (the TA-Lib and `technicalindicators` convention),
 * so the first value is at index `period - 1`. Leading NaN (a chained indicator's
 * warm-up) are skipped; a NaN after the seed propagates.
 */
export function ema(values: Float64Array, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  return smoothed(values, period, 2 / (period + 1), outputArray(values.length, out));
}

/**
 * Wilder's smoothing (alpha = 1 / period), seeded like {@link ema}: the average used by
 * RSI and ATR.
 */
export function wilder(values: Float64Array, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  return smoothed(values, period, 1 / period, outputArray(values.length, out));
}

function smoothed(values: Float64Array, period: number, alpha: number, res: Float64Array): Float64Array {
  const n = values.length;
  let start = 0;
  while (start < n && Number.isNaN(values[start])) res[start++] = Number.NaN;
  const seedEnd = start + period - 1;
  let sum = 0;
  let i = start;
  for (; i < n && i < seedEnd; i++) {
    sum += values[i]!;
    res[i] = Number.NaN;
  }
  if (i >= n) return res;
  sum += values[i]!;
  const st = new Float64Array(1);
  st[0] = sum / period;
  res[i++] = st[0];
  for (; i < n; i += CHUNK) smoothChunk(values, alpha, res, i, Math.min(n, i + CHUNK), st);
  return res;
}

/**
 * Exponential smoothing of values[from, to) from the previous value in st[0]. Written as
 * `a*x + b*prev` two steps at a time (`p2 = a*x1 + a*b*x0 + b*b*p0`): each output depends on
 * the previous one, so the loop runs at the speed of that chain, and this form halves it
 * (about 2x over `(x - prev) * a + prev`; results differ from it by ~1e-15 relative).
 */
function smoothChunk(
  values: Float64Array,
  alpha: number,
  res: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
): void {
  const b = 1 - alpha;
  const ab = alpha * b;
  const bb = b * b;
  let prev = st[0]!;
  let i = from;
  for (; i + 1 < to; i += 2) {
    const x0 = values[i]!;
    const x1 = values[i + 1]!;
    res[i] = alpha * x0 + b * prev;
    prev = alpha * x1 + ab * x0 + bb * prev;
    res[i + 1] = prev;
  }
  if (i < to) {
    prev = alpha * values[i]! + b * prev;
    res[i] = prev;
  }
  st[0] = prev;
}

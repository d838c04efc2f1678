import { wilder } from './ema';
import { checkPeriod, outputArray } from './output';

/**
 * True range: max(high − low, |high − previous close|, |low − previous close|), NaN at
 * index 0 (no previous close), as TA-Lib and `technicalindicators`.
 */
export function trueRange(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  out?: Float64Array,
): Float64Array {
  const n = close.length;
  const res = outputArray(n, out);
  if (n > 0) res[0] = Number.NaN;
  for (let i = 1; i < n; i++) {
    const h = high[i]!;
    const l = low[i]!;
    const pc = close[i - 1]!;
    res[i] = Math.max(h - l, Math.abs(h - pc), Math.abs(l - pc));
  }
  return res;
}

/** Average true range: Wilder's smoothing of the true range, first value at index `period`. */
export function atr(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period = 14,
  out?: Float64Array,
): Float64Array {
  checkPeriod(period);
  const tr = trueRange(high, low, close);
  return wilder(tr, period, outputArray(close.length, out));
}

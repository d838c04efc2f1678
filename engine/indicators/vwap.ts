import { checkPeriod, outputArray } from './output';

/**
 * Volume-weighted average price of the typical price (high + low + close) / 3.
 * Without `period` it is cumulative from the first bar (as `technicalindicators`);
 * with `period` it is a rolling window, NaN until the window is full. NaN where the
 * volume in the window is 0.
 */
export function vwap(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  volume: Float64Array,
  period?: number,
  out?: Float64Array,
): Float64Array {
  if (period !== undefined) checkPeriod(period);
  const n = close.length;
  const res = outputArray(n, out);
  let pv = 0;
  let vol = 0;
  for (let i = 0; i < n; i++) {
    const v = volume[i]!;
    pv += ((high[i]! + low[i]! + close[i]!) / 3) * v;
    vol += v;
    if (period !== undefined) {
      if (i >= period) {
        const j = i - period;
        const vj = volume[j]!;
        pv -= ((high[j]! + low[j]! + close[j]!) / 3) * vj;
        vol -= vj;
      }
      if (i < period - 1) {
        res[i] = Number.NaN;
        continue;
      }
    }
    res[i] = vol > 0 ? pv / vol : Number.NaN;
  }
  return res;
}

import { checkPeriod, outputArray } from './output';

/**
 * Simple moving average, NaN until `period` values are in the window.
 *
 * A rolling sum with Kahan compensation (separate for additions and removals) and
 * pandas' guards, so values equal `pd.Series.rolling(n).mean()` bit for bit: the
 * reference backtests decide crossovers with strict comparisons on these values.
 * NaN inputs are skipped and make the window incomplete, as in pandas.
 */
export function sma(values: Float64Array, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const res = outputArray(n, out);
  let sum = 0;
  let compAdd = 0;
  let compRemove = 0;
  let nobs = 0;
  let negCount = 0;
  let sameRun = 0;
  let prev = n > 0 ? values[0]! : Number.NaN;
  for (let i = 0; i < n; i++) {
    if (i >= period) {
      const old = values[i - period]!;
      if (!Number.isNaN(old)) {
        nobs--;
        const y = -old - compRemove;
        const t = sum + y;
        compRemove = t - sum - y;
        sum = t;
        if (old < 0 || (old === 0 && 1 / old < 0)) negCount--;
      }
    }
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      nobs++;
      const y = v - compAdd;
      const t = sum + y;
      compAdd = t - sum - y;
      sum = t;
      if (v < 0 || (v === 0 && 1 / v < 0)) negCount++;
      sameRun = v === prev ? sameRun + 1 : 1;
      prev = v;
    }
    if (nobs >= period) {
      let r = sum / nobs;
      if (sameRun >= nobs) r = prev;
      else if (negCount === 0 && r < 0) r = 0;
      else if (negCount === nobs && r > 0) r = 0;
      res[i] = r;
    } else {
      res[i] = Number.NaN;
    }
  }
  return res;
}

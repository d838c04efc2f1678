import { CHUNK } from '../jit/chunk';
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
  const st = new Float64Array(4);
  st[PREV] = n > 0 ? values[0]! : Number.NaN;
  const ist = new Int32Array(4);
  ist[LAST_BAD] = -1;
  for (let i = 0; i < n; ) {
    const to = Math.min(n, i + CHUNK);
    // Where the last `period` values are all positive, most of pandas' guards cannot
    // fire (no NaN, no sign to track): a lighter kernel gives the same bits, up to the
    // first value that is not positive.
    if (i >= period && ist[LAST_BAD]! < i - period) i = smaPositive(values, period, res, i, to, st, ist);
    if (i < to) smaChunk(values, period, res, i, to, st, ist);
    i = to;
  }
  return res;
}

// Slots of the state carried between chunks: doubles in `st`, counts in `ist`.
const SUM = 0;
const COMP_ADD = 1;
const COMP_REMOVE = 2;
const PREV = 3;
const NOBS = 0;
const NEG_COUNT = 1;
const SAME_RUN = 2;
/** Last index whose value was not > 0 (NaN, zero or negative). */
const LAST_BAD = 3;

function smaChunk(
  values: Float64Array,
  period: number,
  res: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
  ist: Int32Array,
): void {
  let sum = st[SUM]!;
  let compAdd = st[COMP_ADD]!;
  let compRemove = st[COMP_REMOVE]!;
  let prev = st[PREV]!;
  let nobs = ist[NOBS]!;
  let negCount = ist[NEG_COUNT]!;
  let sameRun = ist[SAME_RUN]!;
  let lastBad = ist[LAST_BAD]!;
  for (let i = from; i < to; i++) {
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
    if (!(v > 0)) lastBad = i;
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
  st[SUM] = sum;
  st[COMP_ADD] = compAdd;
  st[COMP_REMOVE] = compRemove;
  st[PREV] = prev;
  ist[NOBS] = nobs;
  ist[NEG_COUNT] = negCount;
  ist[SAME_RUN] = sameRun;
  ist[LAST_BAD] = lastBad;
}

/**
 * {@link smaChunk} for a window of positive values (so nobs = period, negCount = 0),
 * while the incoming values stay positive. Returns the first index not done.
 */
function smaPositive(
  values: Float64Array,
  period: number,
  res: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
  ist: Int32Array,
): number {
  let sum = st[SUM]!;
  let compAdd = st[COMP_ADD]!;
  let compRemove = st[COMP_REMOVE]!;
  let prev = st[PREV]!;
  let sameRun = ist[SAME_RUN]!;
  let i = from;
  for (; i < to; i++) {
    const v = values[i]!;
    if (!(v > 0)) break;
    const old = values[i - period]!;
    let y = -old - compRemove;
    let t = sum + y;
    compRemove = t - sum - y;
    sum = t;
    y = v - compAdd;
    t = sum + y;
    compAdd = t - sum - y;
    sum = t;
    sameRun = v === prev ? sameRun + 1 : 1;
    prev = v;
    let r = sum / period;
    if (sameRun >= period) r = prev;
    else if (r < 0) r = 0;
    res[i] = r;
  }
  st[SUM] = sum;
  st[COMP_ADD] = compAdd;
  st[COMP_REMOVE] = compRemove;
  st[PREV] = prev;
  ist[SAME_RUN] = sameRun;
  return i;
}

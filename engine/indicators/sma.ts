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
  const { st, ist } = initialState(values);
  for (let i = 0; i < n; ) {
    const to = Math.min(n, i + CHUNK);
    finishChunk(values, period, res, i, to, st, ist);
    i = to;
  }
  return res;
}

/**
 * Two SMAs of the same values, each bit for bit equal to {@link sma}. Each rolling sum is
 * one long dependency chain (the Kahan compensations feed the next step), so one SMA
 * leaves most of the CPU's arithmetic units idle; two chains in the same loop overlap and
 * cost little more than one (what a fast/slow crossover needs).
 */
export function smaPair(
  values: Float64Array,
  p1: number,
  p2: number,
  out1?: Float64Array,
  out2?: Float64Array,
): [Float64Array, Float64Array] {
  checkPeriod(p1);
  checkPeriod(p2);
  const n = values.length;
  const r1 = outputArray(n, out1);
  const r2 = outputArray(n, out2);
  if (r1 === r2) throw new RangeError('smaPair needs two distinct output arrays');
  const a = initialState(values);
  const b = initialState(values);
  for (let i = 0; i < n; ) {
    const to = Math.min(n, i + CHUNK);
    let j1 = i;
    let j2 = i;
    if (positiveFrom(i, p1, a.ist) && positiveFrom(i, p2, b.ist)) {
      j1 = j2 = smaPositive2(values, p1, r1, a.st, a.ist, p2, r2, b.st, b.ist, i, to);
    }
    finishChunk(values, p1, r1, j1, to, a.st, a.ist);
    finishChunk(values, p2, r2, j2, to, b.st, b.ist);
    i = to;
  }
  return [r1, r2];
}

function initialState(values: Float64Array): { st: Float64Array; ist: Int32Array } {
  const st = new Float64Array(4);
  st[PREV] = values.length > 0 ? values[0]! : Number.NaN;
  const ist = new Int32Array(4);
  ist[LAST_BAD] = -1;
  return { st, ist };
}

/**
 * Whether the last `period` values before `i` are all positive: most of pandas' guards
 * cannot fire there (no NaN, no sign to track), so a lighter kernel gives the same bits,
 * up to the first value that is not positive.
 */
function positiveFrom(i: number, period: number, ist: Int32Array): boolean {
  return i >= period && ist[LAST_BAD]! < i - period;
}

/** Computes [from, to) of one SMA: the light kernel while it applies, then the general one. */
function finishChunk(
  values: Float64Array,
  period: number,
  res: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
  ist: Int32Array,
): void {
  let i = from;
  if (i < to && positiveFrom(i, period, ist)) i = smaPositive(values, period, res, i, to, st, ist);
  if (i < to) smaChunk(values, period, res, i, to, st, ist);
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

/** {@link smaPositive} for two periods at once (same operations per chain, so the same bits). */
function smaPositive2(
  values: Float64Array,
  p1: number,
  r1: Float64Array,
  st1: Float64Array,
  ist1: Int32Array,
  p2: number,
  r2: Float64Array,
  st2: Float64Array,
  ist2: Int32Array,
  from: number,
  to: number,
): number {
  let sum1 = st1[SUM]!;
  let add1 = st1[COMP_ADD]!;
  let rem1 = st1[COMP_REMOVE]!;
  let sum2 = st2[SUM]!;
  let add2 = st2[COMP_ADD]!;
  let rem2 = st2[COMP_REMOVE]!;
  let prev = st1[PREV]!;
  let run1 = ist1[SAME_RUN]!;
  let run2 = ist2[SAME_RUN]!;
  let i = from;
  for (; i < to; i++) {
    const v = values[i]!;
    if (!(v > 0)) break;
    const old1 = values[i - p1]!;
    const old2 = values[i - p2]!;
    let y1 = -old1 - rem1;
    let y2 = -old2 - rem2;
    let t1 = sum1 + y1;
    let t2 = sum2 + y2;
    rem1 = t1 - sum1 - y1;
    rem2 = t2 - sum2 - y2;
    sum1 = t1;
    sum2 = t2;
    y1 = v - add1;
    y2 = v - add2;
    t1 = sum1 + y1;
    t2 = sum2 + y2;
    add1 = t1 - sum1 - y1;
    add2 = t2 - sum2 - y2;
    sum1 = t1;
    sum2 = t2;
    const same = v === prev;
    run1 = same ? run1 + 1 : 1;
    run2 = same ? run2 + 1 : 1;
    prev = v;
    let m1 = sum1 / p1;
    if (run1 >= p1) m1 = prev;
    else if (m1 < 0) m1 = 0;
    r1[i] = m1;
    let m2 = sum2 / p2;
    if (run2 >= p2) m2 = prev;
    else if (m2 < 0) m2 = 0;
    r2[i] = m2;
  }
  st1[SUM] = sum1;
  st1[COMP_ADD] = add1;
  st1[COMP_REMOVE] = rem1;
  st1[PREV] = prev;
  ist1[SAME_RUN] = run1;
  st2[SUM] = sum2;
  st2[COMP_ADD] = add2;
  st2[COMP_REMOVE] = rem2;
  st2[PREV] = prev;
  ist2[SAME_RUN] = run2;
  return i;
}

import { checkPeriod, outputArray } from './output';

/** Highest value of the last `period` values (inclusive), NaN until the window is full. */
export function highest(values: Float64Array, period: number, out?: Float64Array): Float64Array {
  return extreme(values, period, true, out);
}

/** Lowest value of the last `period` values (inclusive), NaN until the window is full. */
export function lowest(values: Float64Array, period: number, out?: Float64Array): Float64Array {
  return extreme(values, period, false, out);
}

/** Monotonic deque of indices in a ring buffer: O(n) whatever the period. */
function extreme(values: Float64Array, period: number, max: boolean, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const res = outputArray(n, out);
  const cap = period + 1;
  const dq = new Int32Array(cap);
  let head = 0;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    while (size > 0) {
      const last = values[dq[(head + size - 1) % cap]!]!;
      if (max ? last <= v : last >= v) size--;
      else break;
    }
    dq[(head + size) % cap] = i;
    size++;
    if (dq[head]! <= i - period) {
      head = (head + 1) % cap;
      size--;
    }
    res[i] = i >= period - 1 ? values[dq[head]!]! : Number.NaN;
  }
  return res;
}

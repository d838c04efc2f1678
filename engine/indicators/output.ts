/**
 * Returns `out` when it is given and long enough, otherwise a new array of length `n`.
 * Indicators write every index they return, so a reused array needs no clearing.
 */
export function outputArray(n: number, out?: Float64Array): Float64Array {
  if (out === undefined) return new Float64Array(n);
  if (out.length !== n) throw new RangeError(`out has length ${out.length}, expected ${n}`);
  return out;
}

/** Validates a window length: a positive integer. */
export function checkPeriod(period: number, name = 'period'): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`${name} must be a positive integer`);
}

/**
 * First index holding a number, or 0 when every value is NaN: the rule backtesting.py
 * uses (`isnan(...).argmin()`) to find where an indicator's warm-up ends.
 */
export function firstValidIndex(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) return i;
  return 0;
}

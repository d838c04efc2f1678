import { firstValidIndex } from '../indicators/output';
import { CHUNK } from '../jit/chunk';

/** A signals array of length `n`: `out` cleared when given, else a new one. */
export function signalArray(n: number, out?: Uint8Array): Uint8Array {
  if (out === undefined) return new Uint8Array(n);
  if (out.length !== n) throw new RangeError(`signals has length ${out.length}, expected ${n}`);
  out.fill(0);
  return out;
}

/**
 * backtesting.py's `crossover(a, b)` at bar i: strictly below on the previous bar and
 * strictly above on this one.
 */
export function crossesAbove(a: Float64Array, b: Float64Array, i: number): boolean {
  return a[i - 1]! < b[i - 1]! && a[i]! > b[i]!;
}

/** Warm-up of several indicators: the latest first-valid index (backtesting.py's rule). */
export function warmupOf(...arrays: Float64Array[]): number {
  let w = 0;
  for (const a of arrays) w = Math.max(w, firstValidIndex(a));
  return w;
}

/**
 * Signals of a two-line crossover: above → long, below → short (always in the market,
 * reversing) or flat when `longOnly`.
 */
export function crossoverSignals(
  fast: Float64Array,
  slow: Float64Array,
  longOnly: boolean,
  out?: Uint8Array,
): Uint8Array {
  const n = fast.length;
  const s = signalArray(n, out);
  const up = longOnly ? 1 : 1 | 16;
  const down = longOnly ? 4 : 2 | 16;
  for (let i = 1; i < n; i += CHUNK) crossChunk(fast, slow, s, up, down, i, Math.min(n, i + CHUNK));
  return s;
}

function crossChunk(
  fast: Float64Array,
  slow: Float64Array,
  s: Uint8Array,
  up: number,
  down: number,
  from: number,
  to: number,
): void {
  let f0 = fast[from - 1]!;
  let s0 = slow[from - 1]!;
  for (let i = from; i < to; i++) {
    const f1 = fast[i]!;
    const s1 = slow[i]!;
    if (f0 < s0 && f1 > s1) s[i] = up;
    else if (s0 < f0 && s1 > f1) s[i] = down;
    f0 = f1;
    s0 = s1;
  }
}

/** Probabilities are kept inside [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR] so log loss stays finite. */
export const PROBABILITY_FLOOR = 1e-4;

/** Logistic function, written to avoid overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Clamps a probability away from 0 and 1. */
export function clampProbability(p: number): number {
  if (!(p > PROBABILITY_FLOOR)) return PROBABILITY_FLOOR;
  return Math.min(p, 1 - PROBABILITY_FLOOR);
}

/** Inverse of {@link sigmoid} on a clamped probability. */
export function logit(p: number): number {
  const q = clampProbability(p);
  return Math.log(q / (1 - q));
}

/** Linear-interpolated quantile of an ascending-sorted array (q in [0, 1]). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const w = pos - lo;
  return sorted[lo]! * (1 - w) + sorted[hi]! * w;
}

/**
 * Solves A x = b for a symmetric positive-definite d×d matrix (row-major) by Cholesky.
 * A diagonal jitter is added if the factorisation meets a non-positive pivot, so a
 * near-singular Hessian still yields a finite, deterministic step.
 */
export function solveSpd(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  let jitter = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (choleskyInto(a, l, d, jitter)) break;
    jitter = jitter === 0 ? 1e-10 : jitter * 100;
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * y[k]!;
    y[i] = s / l[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  return x;
}

function choleskyInto(a: Float64Array, l: Float64Array, d: number, jitter: number): boolean {
  l.fill(0);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return false;
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j]!;
      }
    }
  }
  return true;
}

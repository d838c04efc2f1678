import { sigmoid, solveSpd } from './math';

/** Coefficients of a binary logistic regression: P(y = 1) = sigmoid(intercept + weights · x). */
export interface LogisticFit {
  intercept: number;
  weights: number[];
}

/** Options for {@link fitLogistic}. */
export interface LogisticOptions {
  /** L2 penalty on the weights (not the intercept), in units of summed log-likelihood. */
  l2: number;
  maxIterations?: number;
  tolerance?: number;
}

// A tiny intercept penalty keeps the Hessian invertible when every label is the same.
const INTERCEPT_L2 = 1e-4;
// Newton steps are capped so a flat early Hessian cannot throw the iterate far away.
const MAX_STEP = 5;

/**
 * Fits an L2-regularised logistic regression by Newton's method (IRLS).
 * Deterministic: same inputs give bit-identical coefficients.
 * @param x row-major n×d design matrix (no intercept column)
 * @param y labels, 0 or 1, length n
 */
export function fitLogistic(
  x: Float64Array,
  y: Uint8Array,
  n: number,
  d: number,
  options: LogisticOptions,
): LogisticFit {
  const p = d + 1;
  const beta = new Float64Array(p);
  const hess = new Float64Array(p * p);
  const grad = new Float64Array(p);
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-9;
  for (let iter = 0; iter < maxIterations; iter++) {
    hess.fill(0);
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * d;
      let z = beta[0]!;
      for (let j = 0; j < d; j++) z += beta[j + 1]! * x[row + j]!;
      const mu = sigmoid(z);
      const w = Math.max(mu * (1 - mu), 1e-12);
      const r = y[i]! - mu;
      grad[0]! += r;
      hess[0]! += w;
      for (let j = 0; j < d; j++) {
        const xj = x[row + j]!;
        const wxj = w * xj;
        grad[j + 1]! += r * xj;
        hess[j + 1]! += wxj;
        const base = (j + 1) * p + 1;
        for (let k = 0; k <= j; k++) hess[base + k]! += wxj * x[row + k]!;
      }
    }
    // Mirror the accumulated lower triangle and add the penalties.
    for (let j = 1; j < p; j++) {
      hess[j * p]! = hess[j]!;
      for (let k = j + 1; k < p; k++) hess[j * p + k] = hess[k * p + j]!;
    }
    grad[0]! -= INTERCEPT_L2 * beta[0]!;
    hess[0]! += INTERCEPT_L2;
    for (let j = 1; j < p; j++) {
      grad[j]! -= options.l2 * beta[j]!;
      hess[j * p + j]! += options.l2;
    }
    const step = solveSpd(hess, grad, p);
    let maxAbs = 0;
    for (let j = 0; j < p; j++) maxAbs = Math.max(maxAbs, Math.abs(step[j]!));
    const scale = maxAbs > MAX_STEP ? MAX_STEP / maxAbs : 1;
    for (let j = 0; j < p; j++) beta[j]! += scale * step[j]!;
    if (maxAbs < tolerance) break;
  }
  return { intercept: beta[0]!, weights: Array.from(beta.subarray(1)) };
}

/** Linear score intercept + weights · x for one feature row (x read from offset). */
export function logisticScore(fit: LogisticFit, x: ArrayLike<number>, offset = 0): number {
  let z = fit.intercept;
  const w = fit.weights;
  for (let j = 0; j < w.length; j++) z += w[j]! * x[offset + j]!;
  return z;
}

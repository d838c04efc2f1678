import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random';
import { fitLogistic } from './logistic';
import { sigmoid } from './math';

function sample(n: number, seed: number): { x: Float64Array; y: Uint8Array } {
  const rand = mulberry32(seed);
  const x = new Float64Array(n * 2);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = rand() * 4 - 2;
    const b = rand() * 4 - 2;
    x[i * 2] = a;
    x[i * 2 + 1] = b;
    y[i] = rand() < sigmoid(0.5 + 1.5 * a - 1 * b) ? 1 : 0;
  }
  return { x, y };
}

describe('fitLogistic', () => {
  it('recovers the coefficients of a logistic model', () => {
    const { x, y } = sample(20_000, 7);
    const fit = fitLogistic(x, y, 20_000, 2, { l2: 0 });
    expect(fit.intercept).toBeCloseTo(0.5, 1);
    expect(fit.weights[0]).toBeCloseTo(1.5, 1);
    expect(fit.weights[1]).toBeCloseTo(-1, 1);
  });

  it('is deterministic and shrinks towards zero with a larger penalty', () => {
    const { x, y } = sample(500, 9);
    const a = fitLogistic(x, y, 500, 2, { l2: 1 });
    expect(fitLogistic(x, y, 500, 2, { l2: 1 })).toEqual(a);
    const strong = fitLogistic(x, y, 500, 2, { l2: 1e4 });
    expect(Math.abs(strong.weights[0]!)).toBeLessThan(Math.abs(a.weights[0]!) / 5);
  });

  it('stays finite when every label is the same', () => {
    const x = new Float64Array([1, 2, 3, 4]);
    const fit = fitLogistic(x, new Uint8Array([1, 1, 1, 1]), 4, 1, { l2: 1 });
    expect(Number.isFinite(fit.intercept)).toBe(true);
    expect(Number.isFinite(fit.weights[0]!)).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsampleEquity } from './downsample';

describe('downsampleEquity', () => {
  it('keeps first and last, returns increasing indices and at most `points` points', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.integer({ min: 2, max: 600 }),
        (v, points) => {
          const a = Float64Array.from(v);
          const d = downsampleEquity(a, points);
          const m = d.index.length;
          if (m !== Math.min(points, v.length)) return false;
          if (d.index[0] !== 0 || d.index[m - 1] !== v.length - 1) return false;
          for (let k = 1; k < m; k++) if (d.index[k]! <= d.index[k - 1]!) return false;
          for (let k = 0; k < m; k++) if (d.value[k] !== a[d.index[k]!]) return false;
          return true;
        },
      ),
      { seed: 20261124 },
    );
  });

  it('keeps a spike', () => {
    const a = new Float64Array(1000).fill(1);
    a[537] = 50;
    expect(Array.from(downsampleEquity(a, 20).index)).toContain(537);
  });

  it('rejects fewer than 2 points', () => {
    expect(() => downsampleEquity(new Float64Array(5), 1)).toThrow(RangeError);
  });
});

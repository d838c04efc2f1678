import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateBars } from './aggregate';

describe('aggregateBars', () => {
  it('builds 5-minute bars from 1-minute bars', () => {
    const rows = [0, 1, 2, 3, 4, 5].map((m) => ({
      time: m * 60_000,
      open: m + 1,
      high: m + 2,
      low: m,
      close: m + 1.5,
      volume: 10,
    }));
    const out = aggregateBars(rows, 300_000);
    expect(out).toEqual([
      { time: 0, open: 1, high: 6, low: 0, close: 5.5, volume: 50 },
      { time: 300_000, open: 6, high: 7, low: 5, close: 6.5, volume: 10 },
    ]);
  });

  it('preserves total volume, extremes and the first open / last close', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ p: fc.double({ min: 1, max: 100, noNaN: true }), v: fc.nat(1000) }), {
          minLength: 1,
          maxLength: 200,
        }),
        (xs) => {
          const rows = xs.map((x, i) => ({
            time: i * 60_000,
            open: x.p,
            high: x.p + 1,
            low: x.p - 0.5,
            close: x.p,
            volume: x.v,
          }));
          const out = aggregateBars(rows, 900_000);
          expect(out.reduce((a, b) => a + b.volume, 0)).toBe(rows.reduce((a, b) => a + b.volume, 0));
          expect(Math.max(...out.map((b) => b.high))).toBe(Math.max(...rows.map((b) => b.high)));
          expect(out[0]!.open).toBe(rows[0]!.open);
          expect(out.at(-1)!.close).toBe(rows.at(-1)!.close);
        },
      ),
      { seed: 20261124 },
    );
  });
});

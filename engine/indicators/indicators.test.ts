import fc from 'fast-check';
import * as ti from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { randomWalkSeries } from '../backtest/random-walk';
import { atr } from './atr';
import { bollinger } from './bollinger';
import { ema } from './ema';
import { highest, lowest } from './extremes';
import { macd } from './macd';
import { firstValidIndex } from './output';
import { rollingStd, zScore } from './rolling-std';
import { rsi } from './rsi';
import { sma, smaPair } from './sma';
import { stochastic } from './stochastic';
import { vwap } from './vwap';
import { wma } from './wma';

const s = randomWalkSeries({ bars: 3000, seed: 7, volatility: 0.01 });
const close = s.close;
const arr = (a: Float64Array): number[] => Array.from(a);

/**
 * technicalindicators returns only defined values; ours has NaN warm-up. Align by the
 * tail: its k-th value is our value at (n − len + k).
 */
function expectAligned(
  ours: Float64Array,
  theirs: readonly (number | undefined)[],
  tol: number,
  warmup: number,
): void {
  const n = ours.length;
  expect(n - theirs.length).toBe(warmup);
  for (let i = 0; i < warmup; i++) expect(Number.isNaN(ours[i]!), `index ${i} should be NaN`).toBe(true);
  theirs.forEach((v, k) => {
    if (v === undefined) return;
    const o = ours[warmup + k]!;
    expect(Math.abs(o - v), `at ${warmup + k}: ${o} vs ${v}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(v)),
    );
  });
}

describe('indicators against technicalindicators 3.1.0', () => {
  it('SMA', () =>
    expectAligned(sma(close, 20), ti.SMA.calculate({ period: 20, values: arr(close) }), 1e-10, 19));
  it('EMA (SMA-seeded)', () =>
    expectAligned(ema(close, 20), ti.EMA.calculate({ period: 20, values: arr(close) }), 1e-10, 19));
  it('WMA', () =>
    expectAligned(wma(close, 15), ti.WMA.calculate({ period: 15, values: arr(close) }), 1e-10, 14));
  it('RSI (Wilder; theirs is rounded to 2 decimals)', () =>
    expectAligned(rsi(close, 14), ti.RSI.calculate({ period: 14, values: arr(close) }), 0.0051, 14));
  it('Bollinger (population deviation, as theirs)', () => {
    const ours = bollinger(close, 20, 2);
    const theirs = ti.BollingerBands.calculate({ period: 20, stdDev: 2, values: arr(close) });
    expectAligned(
      ours.upper,
      theirs.map((b) => b.upper),
      1e-9,
      19,
    );
    expectAligned(
      ours.middle,
      theirs.map((b) => b.middle),
      1e-10,
      19,
    );
    expectAligned(
      ours.lower,
      theirs.map((b) => b.lower),
      1e-9,
      19,
    );
  });
  it('rolling standard deviation (population) = their SD', () =>
    expectAligned(rollingStd(close, 20), ti.SD.calculate({ period: 20, values: arr(close) }), 1e-9, 19));
  it('MACD (EMA oscillator and signal)', () => {
    const ours = macd(close, 12, 26, 9);
    const theirs = ti.MACD.calculate({
      values: arr(close),
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    expectAligned(
      ours.macd,
      theirs.map((m) => m.MACD),
      1e-9,
      25,
    );
    expectAligned(
      ours.signal,
      theirs.map((m) => m.signal),
      1e-9,
      25,
    );
    expectAligned(
      ours.histogram,
      theirs.map((m) => m.histogram),
      1e-9,
      25,
    );
    expect(firstValidIndex(ours.signal)).toBe(25 + 8);
  });
  it('ATR (Wilder, first value at period)', () =>
    expectAligned(
      atr(s.high, s.low, close, 14),
      ti.ATR.calculate({ high: arr(s.high), low: arr(s.low), close: arr(close), period: 14 }),
      1e-9,
      14,
    ));
  it('stochastic %K and %D', () => {
    const ours = stochastic(s.high, s.low, close, 14, 3);
    const theirs = ti.Stochastic.calculate({
      high: arr(s.high),
      low: arr(s.low),
      close: arr(close),
      period: 14,
      signalPeriod: 3,
    });
    expectAligned(
      ours.k,
      theirs.map((x) => x.k),
      1e-9,
      13,
    );
    expectAligned(
      ours.d,
      theirs.map((x) => x.d),
      1e-9,
      13,
    );
  });
  it('VWAP (cumulative)', () =>
    expectAligned(
      vwap(s.high, s.low, close, s.volume),
      ti.VWAP.calculate({ high: arr(s.high), low: arr(s.low), close: arr(close), volume: arr(s.volume) }),
      1e-9,
      0,
    ));
});

const naive = (v: number[], p: number, f: (w: number[]) => number): number[] =>
  v.map((_, i) => (i < p - 1 ? Number.NaN : f(v.slice(i - p + 1, i + 1))));
const series = fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 1, maxLength: 300 });
const close6 = (a: number, b: number): boolean =>
  (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('rolling indicators equal their naive definitions', () => {
  it('sma, highest, lowest, rollingStd (ddof 0 and 1), wma', () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 1, max: 40 }), (v, p) => {
        const x = Float64Array.from(v);
        const mean = (w: number[]): number => w.reduce((a, b) => a + b, 0) / w.length;
        const sd = (d: number) => (w: number[]) => {
          const m = mean(w);
          return Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / (w.length - d));
        };
        const wsum = (w: number[]): number => w.reduce((a, b, k) => a + b * (k + 1), 0) / ((p * (p + 1)) / 2);
        const checks: [Float64Array, number[]][] = [
          [sma(x, p), naive(v, p, mean)],
          [highest(x, p), naive(v, p, (w) => Math.max(...w))],
          [lowest(x, p), naive(v, p, (w) => Math.min(...w))],
          [rollingStd(x, p, 0), naive(v, p, sd(0))],
          [wma(x, p), naive(v, p, wsum)],
        ];
        if (p > 1) checks.push([rollingStd(x, p, 1), naive(v, p, sd(1))]);
        for (const [got, want] of checks) {
          for (let i = 0; i < want.length; i++) if (!close6(got[i]!, want[i]!)) return false;
        }
        return true;
      }),
      { numRuns: 200, seed: 20261124 },
    );
  });

  it('writes into a reused output array and returns it', () => {
    const out = new Float64Array(close.length).fill(123);
    expect(sma(close, 10, out)).toBe(out);
    expect(arr(out)).toEqual(arr(sma(close, 10)));
    expect(() => sma(close, 10, new Float64Array(3))).toThrow(RangeError);
  });

  it('z-score is (x − mean) / std and NaN on a flat window', () => {
    const z = zScore(close, 20);
    const m = sma(close, 20);
    const d = rollingStd(close, 20);
    expect(z[100]).toBeCloseTo((close[100]! - m[100]!) / d[100]!, 12);
    expect(Number.isNaN(zScore(new Float64Array(30).fill(5), 10)[20]!)).toBe(true);
  });

  it('smaPair equals two sma calls bit for bit, across chunks and through NaN, zeros, negatives and repeats', () => {
    const walk = randomWalkSeries({ bars: 20_000, seed: 7 }).close.slice();
    // Spoilers past the first chunk (4,096) and inside the fused kernel's positive runs.
    for (const [i, v] of [
      [5_000, Number.NaN],
      [5_001, 0],
      [9_000, -3],
      [12_345, -0],
      [16_000, Number.NaN],
    ] as const)
      walk[i] = v;
    walk.fill(walk[17_000]!, 17_000, 17_050);
    const cases: [Float64Array, number, number][] = [
      [walk, 10, 20],
      [walk, 20, 10],
      [walk, 1, 300],
      [walk, 7, 7],
    ];
    fc.assert(
      fc.property(series, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), (v, p1, p2) => {
        const x = Float64Array.from(v);
        const [a, b] = smaPair(x, p1, p2);
        return sameBits(a, sma(x, p1)) && sameBits(b, sma(x, p2));
      }),
      { numRuns: 200, seed: 20261202 },
    );
    for (const [x, p1, p2] of cases) {
      const [a, b] = smaPair(x, p1, p2);
      expect(sameBits(a, sma(x, p1)), `fast ${p1}/${p2}`).toBe(true);
      expect(sameBits(b, sma(x, p2)), `slow ${p1}/${p2}`).toBe(true);
    }
    const out = new Float64Array(walk.length);
    expect(() => smaPair(walk, 10, 20, out, out)).toThrow(RangeError);
  });

  it('sma matches pandas on exact repeats (no rounding residue)', () => {
    const flat = sma(Float64Array.from([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]), 3);
    expect(flat[5]).toBe(0.1);
  });

  it('rejects a non-integer period', () => {
    expect(() => ema(close, 0)).toThrow(RangeError);
    expect(() => rsi(close, 2.5)).toThrow(RangeError);
  });
});

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

import { describe, expect, it } from 'vitest';
import { sliceSeries } from '../data/bars';
import { FEATURE_COUNT, FEATURE_WINDOW, featureMatrix } from './features';
import { syntheticSeries } from './synthetic';

describe('featureMatrix', () => {
  it('gives each row the same values whatever follows it', () => {
    const full = syntheticSeries({ bars: 300, seed: 1 });
    const other = syntheticSeries({ bars: 300, seed: 2 });
    const k = 200;
    const spliced = sliceSeries(full, 0, 300);
    const copy = {
      time: spliced.time.slice(),
      open: spliced.open.slice(),
      high: spliced.high.slice(),
      low: spliced.low.slice(),
      close: spliced.close.slice(),
      volume: spliced.volume.slice(),
    };
    copy.close.set(other.close.subarray(k + 1), k + 1);
    copy.high.set(other.high.subarray(k + 1), k + 1);
    copy.low.set(other.low.subarray(k + 1), k + 1);
    const a = featureMatrix(full).values.subarray(0, (k + 1) * FEATURE_COUNT);
    const b = featureMatrix(copy).values.subarray(0, (k + 1) * FEATURE_COUNT);
    const c = featureMatrix(sliceSeries(full, 0, k + 1)).values;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
  });

  it('stays finite on a price that never moves', () => {
    const s = syntheticSeries({ bars: 100, seed: 3 });
    s.close.fill(10);
    s.high.fill(10);
    s.low.fill(10);
    const fm = featureMatrix(s);
    for (let i = FEATURE_WINDOW * FEATURE_COUNT; i < fm.values.length; i++) {
      expect(Number.isFinite(fm.values[i]!)).toBe(true);
    }
  });
});

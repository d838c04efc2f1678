import { describe, expect, it } from 'vitest';
import { sliceSeries } from '../data/bars';
import { minimumHistory } from './history';
import { predictionTargets } from './strategy';
import { syntheticSeries } from './synthetic';

describe('predictionTargets', () => {
  const series = syntheticSeries({ bars: 600, seed: 31, phi: 0.3 });

  it('gives positions in {-1, 0, 1}, flat before enough history', () => {
    const t = predictionTargets(series, { horizon: 1, retrainEvery: 25 });
    expect(t).toBeInstanceOf(Int8Array);
    expect(t.length).toBe(600);
    expect(t.subarray(0, minimumHistory(1) - 1).every((v) => v === 0)).toBe(true);
    expect(new Set(t)).toEqual(new Set([-1, 0, 1]));
    const longOnly = predictionTargets(series, { horizon: 1, retrainEvery: 25, allowShort: false });
    expect(longOnly.includes(-1)).toBe(false);
  });

  it('decides bar i from bars up to i only', () => {
    const full = predictionTargets(series, { horizon: 1, retrainEvery: 25 });
    for (const end of [300, 451]) {
      const prefix = predictionTargets(sliceSeries(series, 0, end), { horizon: 1, retrainEvery: 25 });
      expect(Array.from(prefix)).toEqual(Array.from(full.subarray(0, end)));
    }
  });
});

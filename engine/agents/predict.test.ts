import { describe, expect, it } from 'vitest';
import { sliceSeries } from '../data/bars';
import { lastClosedIndex, predict } from './predict';
import { Prediction } from './schema';
import { syntheticSeries } from './synthetic';
import { withDifferentFuture } from './test-series';
import { trainModel } from './train';

const trainedAt = '2024-01-01T00:00:00.000Z';

describe('predict', () => {
  const series = syntheticSeries({ bars: 800, seed: 21, phi: 0.3 });
  const model = trainModel(series, { horizon: 1, trainedAt, throughIndex: 500 });

  it('returns a schema-valid prediction as of the requested bar', () => {
    const p = predict(model, series, 700);
    expect(Prediction.safeParse(p).success).toBe(true);
    expect(p.asOfTime).toBe(series.time[700]);
    expect(p.modelVersion).toBe(model.version);
    expect(p.votes.map((v) => v.name)).toEqual(['trend', 'meanReversion', 'volatilityRegime', 'learned']);
    expect(p.expectedReturn.lower).toBeLessThan(p.expectedReturn.mean);
    expect(p.expectedReturn.upper).toBeGreaterThan(p.expectedReturn.mean);
    const pUp = p.probabilityUp;
    if (p.direction === 'up') expect(p.probability).toBe(pUp);
    if (p.direction === 'down') expect(p.probability).toBe(1 - pUp);
  });

  it('is identical whether or not bars after asOf exist', () => {
    for (const i of [501, 650, 799]) {
      const full = predict(model, series, i);
      expect(predict(model, sliceSeries(series, 0, i + 1))).toEqual(full);
      expect(predict(model, withDifferentFuture(series, i, 3), i)).toEqual(full);
    }
  });

  it('refuses a model trained on bars after asOf', () => {
    expect(() => predict(model, series, 499)).toThrow(RangeError);
  });

  it('flags a feature vector far outside the training distribution', () => {
    const shocked = withDifferentFuture(series, 800, 1);
    const closes = shocked.close;
    closes[799] = closes[798]! * 3;
    shocked.high[799] = closes[799]!;
    const p = predict(model, shocked, 799);
    expect(p.outlier.flag).toBe(true);
    expect(p.outlier.score).toBeGreaterThan(p.outlier.threshold);
    expect(predict(model, series, 700).outlier.flag).toBe(false);
  });
});

describe('lastClosedIndex', () => {
  it('drops a bar that is still forming', () => {
    const s = syntheticSeries({ bars: 10, seed: 1, barMs: 60_000, startTime: 0 });
    expect(lastClosedIndex(s, 10 * 60_000)).toBe(9);
    expect(lastClosedIndex(s, 10 * 60_000 - 1)).toBe(8);
  });
});

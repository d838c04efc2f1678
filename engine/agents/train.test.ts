import { describe, expect, it } from 'vitest';
import { sliceSeries } from '../data/bars';
import { InsufficientHistoryError, minimumHistory } from './history';
import { TrainedModel } from './schema';
import { syntheticSeries } from './synthetic';
import { withDifferentFuture } from './test-series';
import { trainModel } from './train';

const trainedAt = '2024-01-01T00:00:00.000Z';

describe('trainModel', () => {
  const series = syntheticSeries({ bars: 600, seed: 11, phi: 0.2 });

  it('produces a JSON model that the schema parses back unchanged', () => {
    const model = trainModel(series, { horizon: 1, trainedAt });
    const parsed = TrainedModel.safeParse(JSON.parse(JSON.stringify(model)));
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(model);
    expect(model.trainedThroughTime).toBe(series.time[599]);
    const w = model.ensemble.weights;
    expect(w.trend + w.meanReversion + w.volatilityRegime + w.learned).toBeCloseTo(1, 12);
  });

  it('rejects a tampered or truncated model', () => {
    const model = trainModel(series, { horizon: 1, trainedAt });
    const json = JSON.parse(JSON.stringify(model)) as Record<string, unknown>;
    expect(TrainedModel.safeParse({ ...json, horizon: 0 }).success).toBe(false);
    expect(TrainedModel.safeParse({ ...json, agents: {} }).success).toBe(false);
    const learned = { ...model.agents.learned, weights: [1, 2] };
    expect(TrainedModel.safeParse({ ...json, agents: { ...model.agents, learned } }).success).toBe(false);
  });

  it('is deterministic, and its version follows the content', () => {
    const a = trainModel(series, { horizon: 1, trainedAt });
    const b = trainModel(series, { horizon: 1, trainedAt: '2025-06-01T00:00:00.000Z' });
    expect(b.version).toBe(a.version);
    expect({ ...b, trainedAt }).toEqual(a);
    const c = trainModel(series, { horizon: 1, trainedAt, throughIndex: 598 });
    expect(c.version).not.toBe(a.version);
  });

  it('never reads bars after throughIndex', () => {
    const t = 450;
    const base = trainModel(sliceSeries(series, 0, t + 1), { horizon: 3, trainedAt });
    const viaIndex = trainModel(series, { horizon: 3, trainedAt, throughIndex: t });
    const otherFuture = trainModel(withDifferentFuture(series, t, 5), {
      horizon: 3,
      trainedAt,
      throughIndex: t,
    });
    expect(viaIndex).toEqual(base);
    expect(otherFuture).toEqual(base);
  });

  it('refuses too short a history with the required bar count', () => {
    const need = minimumHistory(1);
    expect(() => trainModel(sliceSeries(series, 0, need), { horizon: 1, trainedAt })).not.toThrow();
    const short = () => trainModel(sliceSeries(series, 0, need - 1), { horizon: 1, trainedAt });
    expect(short).toThrow(InsufficientHistoryError);
    try {
      short();
    } catch (e) {
      expect((e as InsufficientHistoryError).required).toBe(need);
    }
  });
});

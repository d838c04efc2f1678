import { describe, expect, it } from 'vitest';
import { evaluateWalkForward } from './evaluate';
import { Evaluation } from './evaluation-schema';
import { syntheticSeries } from './synthetic';
import { withDifferentFuture } from './test-series';
import { runWalkForward } from './walk-forward';

describe('evaluateWalkForward', () => {
  it('finds real skill in AR(1) returns (phi = 0.3)', () => {
    const e = evaluateWalkForward(syntheticSeries({ bars: 2000, seed: 1, phi: 0.3 }), { horizon: 1 });
    expect(Evaluation.safeParse(e).success).toBe(true);
    const learned = e.agents.learned;
    expect(learned.count).toBeGreaterThan(1800);
    expect(learned.hitRate!).toBeGreaterThan(0.55);
    expect(learned.hitRate!).toBeGreaterThan(e.baselines.alwaysUp.hitRate! + 0.03);
    expect(learned.hitRate!).toBeGreaterThan(e.baselines.baseRate.hitRate! + 0.03);
    expect(learned.logLoss).toBeLessThan(e.baselines.baseRate.logLoss - 0.005);
    expect(learned.brier).toBeLessThan(e.baselines.alwaysUp.brier);
    expect(learned.vsBaseRate!.tStat).toBeGreaterThan(2);
    expect(e.ensemble.logLoss).toBeLessThan(e.baselines.baseRate.logLoss - 0.005);
    // On AR(1) with phi > 0 persistence is the best direction rule there is; the learned agent
    // must not fall far behind it.
    expect(learned.hitRate!).toBeGreaterThan(e.baselines.persistence.hitRate! - 0.02);
  });

  it.each([2, 3])('claims no skill on a random walk (seed %i)', (seed) => {
    const e = evaluateWalkForward(syntheticSeries({ bars: 2000, seed, phi: 0 }), { horizon: 1 });
    for (const m of [e.agents.learned, e.ensemble]) {
      if (m.hitRate !== null && m.decided >= 100) expect(Math.abs(m.hitRate - 0.5)).toBeLessThan(0.04);
      expect(m.logLoss).toBeGreaterThan(e.baselines.baseRate.logLoss - 0.003);
      expect(m.vsBaseRate!.tStat).toBeLessThan(2);
    }
  });

  it('scores interval coverage near its nominal level', () => {
    const e = evaluateWalkForward(syntheticSeries({ bars: 1500, seed: 4, phi: 0.1 }), { horizon: 5 });
    expect(e.ensemble.intervalCoverage!).toBeGreaterThan(0.7);
    expect(e.ensemble.intervalCoverage!).toBeLessThan(0.9);
    expect(e.notes.some((n) => n.includes('overlap'))).toBe(true);
  });

  it('reports an empty evaluation for too short a series', () => {
    const e = evaluateWalkForward(syntheticSeries({ bars: 80, seed: 5 }), { horizon: 1 });
    expect(e.ensemble.count).toBe(0);
    expect(e.upRate).toBeNull();
    expect(Evaluation.safeParse(e).success).toBe(true);
  });
});

describe('runWalkForward', () => {
  it('predicts each row identically whatever bars come after it', () => {
    const series = syntheticSeries({ bars: 700, seed: 8, phi: 0.2 });
    const k = 520;
    const options = { horizon: 2, step: 37 };
    const a = runWalkForward(series, options);
    const b = runWalkForward(withDifferentFuture(series, k, 9), options);
    const rows = a.index.findIndex((i) => i > k);
    expect(rows).toBeGreaterThan(100);
    expect(Array.from(b.ensemble.subarray(0, rows))).toEqual(Array.from(a.ensemble.subarray(0, rows)));
    for (let g = 0; g < a.agents.length; g++) {
      expect(Array.from(b.agents[g]!.subarray(0, rows))).toEqual(Array.from(a.agents[g]!.subarray(0, rows)));
    }
    expect(Array.from(b.persistence.subarray(0, rows))).toEqual(Array.from(a.persistence.subarray(0, rows)));
    // A different future must change later predictions, or the check above proves nothing.
    expect(Array.from(b.ensemble.subarray(rows))).not.toEqual(Array.from(a.ensemble.subarray(rows)));
  });
});

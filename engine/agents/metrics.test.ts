import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random';
import { meanWithHacStdErr, scorePredictor } from './metrics';

describe('scorePredictor', () => {
  it('computes hit rate over decided rows, Brier, log loss and coverage', () => {
    const up = new Uint8Array([1, 0, 1, 1]);
    const m = scorePredictor(
      {
        pUp: [0.8, 0.3, 0.5, 0.4],
        side: [1, -1, 0, -1],
        interval: { lower: [0, 0, 0, 0], upper: [0.1, 0.1, 0.1, 0.1] },
      },
      {
        up,
        ret: new Float64Array([0.05, -0.01, 0.2, 0.01]),
        baseLoss: new Float64Array(4).fill(Math.LN2),
        horizon: 1,
      },
    );
    expect(m.decided).toBe(3);
    expect(m.hitRate).toBeCloseTo(2 / 3, 12);
    expect(m.brier).toBeCloseTo((0.04 + 0.09 + 0.25 + 0.36) / 4, 12);
    const ll = -(Math.log(0.8) + Math.log(0.7) + Math.log(0.5) + Math.log(0.4)) / 4;
    expect(m.logLoss).toBeCloseTo(ll, 12);
    expect(m.vsBaseRate!.logLossGain).toBeCloseTo(Math.LN2 - ll, 12);
    expect(m.intervalCoverage).toBe(0.5);
  });
});

describe('meanWithHacStdErr', () => {
  it('reports no t-statistic for a predictor equal to the baseline up to rounding', () => {
    const x = new Float64Array(100).map((_, i) => (i % 2 === 0 ? 1e-18 : 2e-18));
    expect(meanWithHacStdErr(x, 0).tStat).toBe(0);
  });

  it('widens the standard error for positively autocorrelated rows', () => {
    const rand = mulberry32(1);
    const signs = Array.from({ length: 100 }, () => (rand() < 0.5 ? 1 : -1));
    const x = new Float64Array(400).map((_, i) => signs[Math.floor(i / 4)]!);
    expect(meanWithHacStdErr(x, 3).stdErr).toBeGreaterThan(meanWithHacStdErr(x, 0).stdErr * 1.5);
  });
});

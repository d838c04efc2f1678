import { describe, expect, it } from 'vitest';
import { randomWalkSeries } from './random-walk';
import { runBacktest } from './run-backtest';
import { cartesian, runSweep } from './sweep';

const series = randomWalkSeries({ bars: 3000, seed: 5, volatility: 0.01, stepMs: 3_600_000 });

describe('runSweep', () => {
  it('ranks every valid combination and matches single runs', () => {
    const res = runSweep(series, 'sma-cross', { fast: [5, 10, 20], slow: [10, 30] }, 'Sharpe Ratio', {
      commission: 0.001,
    });
    expect(res.evaluated).toBe(4);
    expect(res.skipped).toBe(2);
    expect(res.barEvaluations).toBe(4 * 3000);
    const sharpe = res.results.map((r) => r.stats['Sharpe Ratio']);
    expect([...sharpe].sort((a, b) => b - a)).toEqual(sharpe);
    const best = res.results[0]!;
    const single = runBacktest({
      series,
      strategy: { name: 'sma-cross', params: best.params },
      commission: 0.001,
    });
    expect(single.stats).toEqual(best.stats);
  });

  it('ascending order and limit', () => {
    const res = runSweep(series, 'ema-cross', { fast: [3, 5, 8], slow: [20, 40] }, 'Max. Drawdown [%]', {
      order: 'asc',
      limit: 2,
    });
    expect(res.results).toHaveLength(2);
    expect(res.results[0]!.stats['Max. Drawdown [%]']).toBeLessThanOrEqual(
      res.results[1]!.stats['Max. Drawdown [%]'],
    );
  });

  it('cartesian product in grid order', () => {
    expect(cartesian({ a: [1, 2], b: [true] })).toEqual([
      { a: 1, b: true },
      { a: 2, b: true },
    ]);
    expect(() => runSweep(series, 'nope', { a: [1] })).toThrow(/unknown strategy/);
  });
});

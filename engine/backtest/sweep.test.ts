import { describe, expect, it } from 'vitest';
import type { BacktestStats } from '../stats/types';
import { randomWalkSeries } from './random-walk';
import { runBacktest } from './run-backtest';
import { type JsonStat, statsToJson } from './serialize';
import { cartesian, rankSweepRows, runSweep } from './sweep';

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

describe('rankSweepRows: one ranking for inline and queued sweeps', () => {
  // What a queued sweep stores and reads back: statistics through JSON, non-finite values as null.
  const throughStorage = (rows: Array<{ params: Record<string, unknown>; stats: BacktestStats }>) =>
    rows.map(
      (r) =>
        JSON.parse(JSON.stringify({ params: r.params, stats: statsToJson(r.stats) })) as {
          params: Record<string, unknown>;
          stats: Record<string, JsonStat>;
        },
    );

  it('ranks ±Infinity, NaN and finite statistics identically before and after storage', () => {
    const real = runSweep(series, 'sma-cross', { fast: [5, 10], slow: [20, 30] }, 'Profit Factor').results;
    const specials = [Number.POSITIVE_INFINITY, Number.NaN, 1.5, Number.NEGATIVE_INFINITY, 0.7, 1.5];
    const rows = specials.map((v, i) => ({
      params: { combo: i },
      stats: { ...(real[0] as (typeof real)[number]).stats, 'Profit Factor': v },
    }));
    for (const order of ['desc', 'asc'] as const) {
      const inline = rankSweepRows([...rows], 'Profit Factor', order).map((r) => r.params.combo);
      const queued = rankSweepRows(throughStorage(rows), 'Profit Factor', order).map((r) => r.params.combo);
      expect(queued).toEqual(inline);
      // Finite values by the order asked (ties in grid order), every non-finite one after them.
      expect(inline).toEqual(order === 'desc' ? [2, 5, 4, 0, 1, 3] : [4, 2, 5, 0, 1, 3]);
    }
  });

  it('is what runSweep ranks by', () => {
    const res = runSweep(series, 'sma-cross', { fast: [5, 10, 20], slow: [10, 30] }, 'Profit Factor');
    const again = rankSweepRows([...res.results].reverse(), 'Profit Factor', 'desc');
    expect(again.map((r) => r.stats['Profit Factor'])).toEqual(
      res.results.map((r) => r.stats['Profit Factor']),
    );
  });
});

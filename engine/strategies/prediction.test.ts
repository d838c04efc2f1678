import { describe, expect, it } from 'vitest';
import { minimumHistory } from '../agents/history';
import { syntheticSeries } from '../agents/synthetic';
import { BacktestInputError } from '../backtest/errors';
import { runBacktest } from '../backtest/run-backtest';
import { type OhlcvSeries, sliceSeries } from '../data/bars';
import { getStrategy, STRATEGY_NAMES } from './registry';

const run = (series: OhlcvSeries, params: Record<string, unknown>) =>
  runBacktest({ series, strategy: { name: 'prediction', params }, cash: 10_000, commission: 0 });

/** Entry of every trade, closed or still open, as comparable tuples. */
const entries = (r: ReturnType<typeof run>) =>
  [...r.trades, ...r.openTrades].map((t) => [t.entryBar, t.size, t.entryPrice] as const);

describe('prediction strategy', () => {
  const ar = syntheticSeries({ bars: 800, seed: 7, phi: 0.3 });
  const walk = syntheticSeries({ bars: 800, seed: 11 });

  it('is registered with defaults', () => {
    expect(STRATEGY_NAMES).toContain('prediction');
    expect(getStrategy('prediction')?.params.parse({})).toEqual({
      horizon: 1,
      retrainEvery: 20,
      allowShort: true,
    });
  });

  it.each([
    ['AR(1)', ar],
    ['random walk', walk],
  ])('trades on %s, never before the warm-up', (_label, series) => {
    const r = run(series, { horizon: 1, retrainEvery: 25 });
    expect(r.warmup).toBe(minimumHistory(1) - 1);
    expect(r.trades.length).toBeGreaterThan(0);
    for (const t of [...r.trades, ...r.openTrades]) expect(t.entryBar).toBeGreaterThan(r.warmup);
  });

  it('goes long only with allowShort=false', () => {
    const r = run(ar, { horizon: 3, retrainEvery: 50, allowShort: false });
    expect(r.warmup).toBe(minimumHistory(3) - 1);
    expect(r.trades.length).toBeGreaterThan(0);
    for (const t of [...r.trades, ...r.openTrades]) expect(t.size).toBeGreaterThan(0);
  });

  it('does not look ahead: trades entered up to bar k survive truncation after bar k + 1', () => {
    const params = { horizon: 1, retrainEvery: 25 };
    const full = entries(run(ar, params));
    for (const k of [400, 613]) {
      const cut = entries(run(sliceSeries(ar, 0, k + 2), params));
      const upTo = (e: typeof full) => e.filter(([bar]) => bar <= k);
      expect(upTo(full).length).toBeGreaterThan(0);
      expect(upTo(cut)).toEqual(upTo(full));
    }
  });

  it('validates its parameters', () => {
    expect(() => run(ar, { horizon: 0 })).toThrow(BacktestInputError);
    expect(() => run(ar, { horizon: 61 })).toThrow(/horizon/);
    expect(() => run(ar, { retrainEvery: 4 })).toThrow(BacktestInputError);
    expect(() => run(ar, { allowShort: 'yes' })).toThrow(BacktestInputError);
  });
});

import { describe, expect, it } from 'vitest';
import { BacktestInputError } from '../backtest/errors';
import { randomWalkSeries } from '../backtest/random-walk';
import { runBacktest } from '../backtest/run-backtest';
import { sliceSeries } from '../data/bars';
import { IndicatorCache } from './indicator-cache';
import { listStrategies, parameterSchemas, STRATEGY_NAMES, strategies } from './registry';
import { compileRules } from './rules/compile';
import { RuleSet } from './rules/schema';
import { fromTargets } from './targets';
import { Signal } from './types';

const series = randomWalkSeries({ bars: 4000, seed: 11, volatility: 0.01, stepMs: 86_400_000 });

describe('built-in strategies', () => {
  it('every registered strategy runs with its defaults and trades', () => {
    for (const name of STRATEGY_NAMES) {
      const r = runBacktest({ series, strategy: { name, params: {} }, cash: 100_000, finalizeTrades: true });
      expect(r.stats['# Trades'], name).toBeGreaterThan(0);
      expect(Number.isFinite(r.stats['Equity Final [$]']), name).toBe(true);
    }
  });

  it('lists names, descriptions and JSON Schemas of parameters', () => {
    const list = listStrategies();
    expect(list.map((s) => s.name)).toEqual([
      'sma-cross',
      'ema-cross',
      'rsi-reversion',
      'bollinger-breakout',
      'macd',
      'donchian-breakout',
      'buy-and-hold',
      'prediction',
    ]);
    for (const s of list) {
      expect(s.description.length).toBeGreaterThan(10);
      expect(s.params).toMatchObject({ type: 'object' });
    }
  });

  it('refuses parameters a strategy does not have, for every strategy', () => {
    for (const name of STRATEGY_NAMES) {
      const r = strategies[name].params.safeParse({ notAParameter: 1 });
      expect(r.success, name).toBe(false);
      expect(JSON.stringify(r.error?.issues), name).toContain('notAParameter');
      expect(Object.keys(parameterSchemas(name) ?? {}).sort(), name).toEqual(
        Object.keys(strategies[name].params.parse({})).sort(),
      );
    }
    expect(() =>
      runBacktest({ series, strategy: { name: 'sma-cross', params: { fast: 5, slow: 9, typo: 1 } } }),
    ).toThrow(BacktestInputError);
  });

  it('validates parameters with zod and fills defaults', () => {
    expect(strategies['sma-cross'].params.parse({})).toEqual({ fast: 10, slow: 20, longOnly: false });
    expect(strategies['sma-cross'].params.safeParse({ fast: 30, slow: 10 }).success).toBe(false);
    expect(strategies['rsi-reversion'].params.safeParse({ period: 0 }).success).toBe(false);
    expect(() => runBacktest({ series, strategy: { name: 'sma-cross', params: { fast: 'x' } } })).toThrow(
      BacktestInputError,
    );
    expect(() => runBacktest({ series, strategy: { name: 'nope' as 'macd', params: {} } })).toThrow(
      /unknown strategy/,
    );
  });

  it('signals at bar i use data up to bar i only (no look-ahead)', () => {
    const cut = 2500;
    const head = sliceSeries(series, 0, cut);
    for (const name of STRATEGY_NAMES) {
      const def = strategies[name];
      const p = def.params.parse({});
      const full = def.compile(series, p as never, new IndicatorCache(series));
      const part = def.compile(head, p as never, new IndicatorCache(head));
      expect(Array.from(part.signals), name).toEqual(Array.from(full.signals.subarray(0, cut)));
    }
  });
});

describe('rule sets', () => {
  const sma = (period: number) => ({ indicator: 'sma' as const, source: 'close' as const, period });

  it('a long-only SMA crossover rule equals sma-cross with longOnly', () => {
    const rules = RuleSet.parse({
      long: {
        entry: { left: sma(10), op: 'crossesAbove', right: sma(30) },
        exit: { left: sma(10), op: 'crossesBelow', right: sma(30) },
      },
    });
    const a = runBacktest({ series, strategy: { rules }, commission: 0.001 });
    const b = runBacktest({
      series,
      strategy: { name: 'sma-cross', params: { fast: 10, slow: 30, longOnly: true } },
      commission: 0.001,
    });
    expect(a.trades).toEqual(b.trades);
    expect(a.stats).toEqual(b.stats);
  });

  it('all/any nesting, constants, price fields and shifts', () => {
    const rules = RuleSet.parse({
      long: {
        entry: {
          all: [
            { left: { indicator: 'rsi', period: 14 }, op: '<', right: 35 },
            {
              any: [
                { left: { price: 'close' }, op: '>', right: { price: 'close', shift: 1 } },
                { left: 1, op: '>=', right: { const: 2 } },
              ],
            },
          ],
        },
        exit: { left: { indicator: 'rsi', period: 14 }, op: '>', right: 55 },
      },
      short: {
        entry: { left: { indicator: 'bollinger', band: 'upper' }, op: '<=', right: { price: 'high' } },
      },
    });
    const c = compileRules(series, rules);
    expect(c.warmup).toBe(19);
    const r = runBacktest({ series, strategy: { rules }, cash: 100_000 });
    expect(r.stats['# Trades']).toBeGreaterThan(0);
    let longs = 0;
    for (let i = 20; i < series.close.length; i++) if (c.signals[i]! & Signal.ENTER_LONG) longs++;
    expect(longs).toBeGreaterThan(0);
  });

  it('rejects unknown fields, bad periods, empty sets and deep nesting', () => {
    const cmp = { left: sma(5), op: '>', right: sma(10) };
    expect(RuleSet.safeParse({}).success).toBe(false);
    expect(RuleSet.safeParse({ long: { entry: { ...cmp, extra: 1 } } }).success).toBe(false);
    expect(RuleSet.safeParse({ long: { entry: { left: sma(0), op: '>', right: 1 } } }).success).toBe(false);
    expect(RuleSet.safeParse({ long: { entry: { left: sma(5000), op: '>', right: 1 } } }).success).toBe(
      false,
    );
    expect(
      RuleSet.safeParse({ long: { entry: { left: { indicator: 'eval', period: 3 }, op: '>', right: 1 } } })
        .success,
    ).toBe(false);
    let deep: unknown = cmp;
    for (let d = 0; d < 8; d++) deep = { all: [deep] };
    const r = RuleSet.safeParse({ long: { entry: deep } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('nesting deeper');
  });
});

describe('fromTargets', () => {
  it('holds the target position, acting only on changes', () => {
    const n = series.close.length;
    const targets = new Int8Array(n);
    targets.fill(1, 100, 200);
    targets.fill(-1, 200, 300);
    const r = runBacktest({ series, strategy: { targets }, cash: 100_000 });
    expect(r.trades.map((t) => [Math.sign(t.size), t.entryBar, t.exitBar])).toEqual([
      [1, 101, 201],
      [-1, 201, 301],
    ]);
  });

  it('rejects values other than -1, 0, 1 and mismatched lengths', () => {
    expect(() => fromTargets(Int8Array.from([0, 2]))).toThrow(RangeError);
    expect(() => runBacktest({ series, strategy: { targets: new Int8Array(3) } })).toThrow(
      BacktestInputError,
    );
  });
});

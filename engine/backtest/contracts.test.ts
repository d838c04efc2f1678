import { describe, expect, it } from 'vitest';
import { BacktestOptions, SweepOptions } from './contracts';

describe('BacktestOptions', () => {
  it('applies defaults', () => {
    expect(BacktestOptions.parse({ strategy: { name: 'sma-cross' } })).toEqual({
      strategy: { name: 'sma-cross', params: {} },
      cash: 10_000,
      commission: 0,
      spread: 0,
      margin: 1,
      tradeOnClose: false,
      finalizeTrades: false,
      size: 'all-in',
      entryOrder: { type: 'market', offset: 0 },
    });
  });

  it('validates strategy parameters with the strategy schema, with their path', () => {
    const r = BacktestOptions.safeParse({ strategy: { name: 'sma-cross', params: { fast: 50, slow: 10 } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['strategy', 'params', 'fast']);
  });

  it('accepts rule sets and fixed+relative commissions; rejects nonsense', () => {
    const rules = { long: { entry: { left: { price: 'close' }, op: '>', right: 100 } } };
    expect(
      BacktestOptions.safeParse({ strategy: { rules }, commission: { fixed: 1, relative: 0.001 } }).success,
    ).toBe(true);
    expect(BacktestOptions.safeParse({ strategy: { name: 'sma-cross' }, cash: -1 }).success).toBe(false);
    expect(BacktestOptions.safeParse({ strategy: { name: 'sma-cross' }, commission: 0.5 }).success).toBe(
      false,
    );
    expect(BacktestOptions.safeParse({ strategy: { name: 'unknown' } }).success).toBe(false);
    expect(BacktestOptions.safeParse({ strategy: { name: 'sma-cross' }, size: { units: 1.5 } }).success).toBe(
      false,
    );
  });
});

describe('SweepOptions', () => {
  it('bounds the grid size', () => {
    const big = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(SweepOptions.safeParse({ strategy: 'sma-cross', grid: { fast: big, slow: big } }).success).toBe(
      false,
    );
    expect(
      SweepOptions.safeParse({ strategy: 'sma-cross', grid: { fast: [5, 10] }, rankBy: 'SQN' }).success,
    ).toBe(true);
    expect(
      SweepOptions.safeParse({ strategy: 'sma-cross', grid: { fast: [5] }, rankBy: 'Start' }).success,
    ).toBe(false);
  });
});

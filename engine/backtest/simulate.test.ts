import { describe, expect, it } from 'vitest';
import type { OhlcvSeries } from '../data/bars';
import { Signal } from '../strategies/types';
import { pyFloorDiv } from './broker';
import { randomWalkSeries } from './random-walk';
import { runBacktest } from './run-backtest';
import type { RunBacktestInput } from './types';

const DAY = 86_400_000;
/** Daily bars from [open, high, low, close] rows. */
function bars(rows: [number, number, number, number][]): OhlcvSeries {
  const n = rows.length;
  const col = (k: number) => Float64Array.from(rows, (r) => r[k]!);
  return {
    time: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * DAY),
    open: col(0),
    high: col(1),
    low: col(2),
    close: col(3),
    volume: new Float64Array(n).fill(1000),
  };
}
const flatBars = (n: number, p = 100): [number, number, number, number][] =>
  Array.from({ length: n }, () => [p, p, p, p]);
function signals(n: number, at: Record<number, number>): Uint8Array {
  const s = new Uint8Array(n);
  for (const [i, f] of Object.entries(at)) s[Number(i)] = f;
  return s;
}
const run = (
  series: OhlcvSeries,
  at: Record<number, number>,
  opts: Omit<RunBacktestInput, 'series' | 'strategy'> = {},
) =>
  runBacktest({
    series,
    strategy: { compiled: { warmup: 0, signals: signals(series.close.length, at) } },
    ...opts,
  });

describe('pyFloorDiv', () => {
  it('floors like Python, not like Math.floor(a / b)', () => {
    expect(pyFloorDiv(1, 0.1)).toBe(9);
    expect(Math.floor(1 / 0.1)).toBe(10);
    expect(pyFloorDiv(10_000, 186.31 * 1.002)).toBe(53);
    expect(pyFloorDiv(0, 3)).toBe(0);
  });
});

describe('fills and sizing', () => {
  const s = bars([
    [100, 100, 100, 100],
    [100, 100, 100, 100],
    [101, 103, 100, 102],
    [102, 104, 101, 103],
    [103, 105, 102, 104],
  ]);

  it('a market order queued at bar i fills at the next open, all-in whole units', () => {
    const r = run(s, { 1: Signal.ENTER_LONG }, { cash: 1000, finalizeTrades: true });
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0]!;
    expect([t.size, t.entryBar, t.entryPrice, t.exitBar, t.exitPrice]).toEqual([9, 2, 101, 4, 103]);
    expect(r.equity[2]).toBe(1000 + 9 * (102 - 101));
  });

  it('trade-on-close fills at the signal bar close, on that bar', () => {
    const r = run(s, { 1: Signal.ENTER_LONG, 3: Signal.EXIT_LONG }, { cash: 1000, tradeOnClose: true });
    const t = r.trades[0]!;
    expect([t.entryBar, t.entryPrice, t.exitBar, t.exitPrice]).toEqual([1, 100, 3, 103]);
  });

  it('spread worsens the entry price only; relative commission at both ends', () => {
    const r = run(
      s,
      { 1: Signal.ENTER_LONG, 3: Signal.EXIT_LONG },
      { cash: 10_000, spread: 0.01, commission: 0.001 },
    );
    const t = r.trades[0]!;
    expect(t.entryPrice).toBeCloseTo(101 * 1.01, 12);
    expect([t.exitBar, t.exitPrice]).toEqual([4, 103]);
    expect(t.size).toBe(Math.floor(10_000 / (101 * 1.01 + 101 * 0.001)));
    expect(t.commission).toBeCloseTo(t.size * (t.entryPrice + 103) * 0.001, 9);
    expect(t.pnl).toBeCloseTo(t.size * (103 - t.entryPrice) - t.commission, 9);
  });

  it('fixed + relative commission, and the library per-unit sizing quirk for the fixed part', () => {
    const r = run(
      s,
      { 1: Signal.ENTER_LONG, 3: Signal.EXIT_LONG },
      { cash: 1000, commission: { fixed: 5, relative: 0.01 } },
    );
    const t = r.trades[0]!;
    // backtesting.py adds the fixed fee to the per-unit price when sizing.
    expect(t.size).toBe(
      Math.floor((1000 * (1 - 2 ** -52)) / (101 + (5 + (1 - 2 ** -52) * 101 * 0.01) / (1 - 2 ** -52))),
    );
    expect(t.commission).toBeCloseTo(5 + t.size * 101 * 0.01 + 5 + t.size * 103 * 0.01, 9);
    expect(r.stats['Commissions [$]']).toBeCloseTo(t.commission, 9);
  });

  it('fixed units and fractions of equity', () => {
    expect(
      run(s, { 1: Signal.ENTER_LONG }, { size: { units: 3 }, finalizeTrades: true }).trades[0]!.size,
    ).toBe(3);
    expect(
      run(s, { 1: Signal.ENTER_LONG }, { cash: 1000, size: { fraction: 0.5 }, finalizeTrades: true })
        .trades[0]!.size,
    ).toBe(4);
    // Not enough cash for the fixed size: the broker cancels the order.
    expect(
      run(s, { 1: Signal.ENTER_LONG }, { cash: 100, size: { units: 3 }, finalizeTrades: true }).trades,
    ).toHaveLength(0);
  });

  it('shorts, and reversal closes before entering (close order at the front)', () => {
    const r = run(
      s,
      { 1: Signal.ENTER_SHORT, 2: Signal.ENTER_LONG | Signal.REVERSE },
      { cash: 1000, finalizeTrades: true },
    );
    expect(r.trades.map((t) => [t.size, t.entryBar, t.exitBar, t.entryPrice, t.exitPrice])).toEqual([
      [-9, 2, 3, 101, 102],
      [Math.floor((1000 - 9 * 1) / 102), 3, 4, 102, 103],
    ]);
  });

  it('without finalize, open trades stay out of the statistics but in equity', () => {
    const r = run(s, { 1: Signal.ENTER_LONG }, { cash: 1000 });
    expect(r.trades).toHaveLength(0);
    expect(r.openTrades).toHaveLength(1);
    expect(r.openTrades[0]!.pnl).toBe(9 * (104 - 101));
    expect(r.stats['# Trades']).toBe(0);
    expect(r.stats['Equity Final [$]']).toBe(1000 + 27);
    expect(Number.isNaN(r.stats['Win Rate [%]'])).toBe(true);
  });
});

describe('contingent and conditional orders', () => {
  it('stop-loss exits at min(open, stop) on the bar it is touched', () => {
    const s = bars([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [99, 99, 90, 91],
      [91, 92, 90, 91],
    ]);
    const r = run(s, { 1: Signal.ENTER_LONG }, { cash: 1000, stopLoss: 0.05 });
    const t = r.trades[0]!;
    expect([t.entryBar, t.exitBar, t.exitPrice, t.sl]).toEqual([2, 3, 95, 95]);
  });

  it('take-profit exits at max(open, limit) when the high exceeds it', () => {
    const s = bars([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [108, 112, 107, 111],
      [111, 112, 110, 111],
    ]);
    const r = run(s, { 1: Signal.ENTER_LONG }, { cash: 1000, takeProfit: 0.1 });
    const t = r.trades[0]!;
    expect(t.exitBar).toBe(3);
    expect(t.exitPrice).toBeCloseTo(110, 9);
  });

  it('a limit entry waits until the low goes below the limit', () => {
    const s = bars([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [99, 99, 97, 98],
      [98, 99, 97, 98],
    ]);
    const r = run(
      s,
      { 1: Signal.ENTER_LONG },
      { cash: 1000, entryOrder: { type: 'limit', offset: 0.02 }, finalizeTrades: true },
    );
    const t = r.trades[0]!;
    expect([t.entryBar, t.entryPrice]).toEqual([3, 98]);
  });

  it('a stop entry triggers on the high and fills at max(open, stop)', () => {
    const s = bars([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [100, 104, 99, 103],
      [103, 104, 102, 103],
    ]);
    const r = run(
      s,
      { 1: Signal.ENTER_LONG },
      { cash: 1000, entryOrder: { type: 'stop', offset: 0.02 }, finalizeTrades: true },
    );
    expect([r.trades[0]!.entryBar, r.trades[0]!.entryPrice]).toEqual([3, 102]);
  });

  it('a stop entry filled on the last bar and finalized under trade-on-close exits on that bar', () => {
    // backtesting.py books the finalize close at the previous bar's close, one bar before the
    // entry; Skippy closes such a trade on its entry bar at that bar's close instead.
    const s = bars([
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [101, 104, 100, 103],
    ]);
    const r = run(
      s,
      { 1: Signal.ENTER_LONG },
      { cash: 1000, entryOrder: { type: 'stop', offset: 0.02 }, tradeOnClose: true, finalizeTrades: true },
    );
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0]!;
    expect([t.entryBar, t.entryPrice, t.exitBar, t.exitPrice]).toEqual([4, 102, 4, 103]);
    expect(r.openTrades).toHaveLength(0);
  });
});

describe('runs', () => {
  it('equity before the first strategy bar is the starting cash; ruin zeroes the rest', () => {
    const rows = flatBars(6);
    rows[3] = [100, 300, 100, 300];
    rows[4] = [300, 300, 300, 300];
    rows[5] = [300, 300, 300, 300];
    const r = run(bars(rows), { 1: Signal.ENTER_SHORT }, { cash: 1000, margin: 0.01, size: { units: 500 } });
    expect(r.equity[0]).toBe(1000);
    expect(Array.from(r.equity.subarray(3))).toEqual([0, 0, 0]);
  });

  it('progress callbacks do not change the result', () => {
    const s = randomWalkSeries({ bars: 5000, seed: 3 });
    const calls: number[] = [];
    const spec = { name: 'sma-cross' as const, params: { fast: 5, slow: 20 } };
    const a = runBacktest({
      series: s,
      strategy: spec,
      onProgress: (d) => calls.push(d),
      progressEvery: 1000,
    });
    const b = runBacktest({ series: s, strategy: spec });
    expect(calls.at(-1)).toBe(5000);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(Array.from(a.equity)).toEqual(Array.from(b.equity));
    expect(a.stats).toEqual(b.stats);
  });

  it('reused output arrays give identical results', () => {
    const s = randomWalkSeries({ bars: 3000, seed: 4 });
    const equityOut = new Float64Array(3000);
    const drawdownOut = new Float64Array(3000);
    const spec = { name: 'ema-cross' as const, params: {} };
    const a = runBacktest({ series: s, strategy: spec, equityOut, drawdownOut });
    expect(a.equity).toBe(equityOut);
    expect(a.drawdown).toBe(drawdownOut);
    expect(Array.from(runBacktest({ series: s, strategy: spec }).equity)).toEqual(Array.from(equityOut));
  });
});

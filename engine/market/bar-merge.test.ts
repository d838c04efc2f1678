import { describe, expect, it } from 'vitest';
import { barFromTrade, barViolation, mergeBars, mergeTrade, type TimedBar } from './bar-merge';

/** Trades of one minute as [ts, price, size]. */
type Trade = [number, number, number];

function fold(trades: Trade[]): TimedBar {
  const [first, ...rest] = trades;
  if (!first) throw new Error('no trades');
  const bar = barFromTrade(0, ...first);
  for (const t of rest) mergeTrade(bar, ...t);
  return bar;
}

describe('bar merging', () => {
  const trades: Trade[] = [
    [1_000, 10, 1],
    [5_000, 12, 2],
    [9_000, 8, 3],
    [59_999, 11, 4],
  ];
  const inOrder = fold(trades);

  it('gives the same bar for any arrival order of the trades', () => {
    expect(inOrder).toEqual({
      time: 0,
      open: 10,
      high: 12,
      low: 8,
      close: 11,
      volume: 10,
      firstTs: 1_000,
      lastTs: 59_999,
    });
    expect(fold([...trades].reverse())).toEqual(inOrder);
    expect(fold([trades[2]!, trades[0]!, trades[3]!, trades[1]!])).toEqual(inOrder);
  });

  it('merges split pieces into the whole, either way round, and never loses a side', () => {
    const early = fold(trades.slice(0, 2));
    const late = fold(trades.slice(2));
    expect(mergeBars(early, late)).toEqual(inOrder);
    expect(mergeBars(late, early)).toEqual(inOrder);
    // The late-trade reproduction: one print 1 ms before the boundary merged into the closed bar.
    const closed = fold(trades.slice(0, 3));
    const merged = mergeBars(closed, barFromTrade(0, 59_999, 11, 4));
    expect(merged).toEqual(inOrder);
    expect(barViolation(merged)).toBeNull();
  });

  it('names what is wrong with an invalid bar', () => {
    const ok = { time: 0, open: 10, high: 12, low: 8, close: 11, volume: 1 };
    expect(barViolation(ok)).toBeNull();
    expect(barViolation({ ...ok, low: 10.5 })).toMatch(/low/);
    expect(barViolation({ ...ok, high: 10.5 })).toMatch(/high/);
    expect(barViolation({ ...ok, volume: -1 })).toMatch(/volume/);
    expect(barViolation({ ...ok, open: 0 })).toMatch(/open/);
    expect(barViolation({ ...ok, high: Number.POSITIVE_INFINITY })).toMatch(/high/);
  });
});

import { describe, expect, it } from 'vitest';
import { MinuteBarBuilder } from './bar-builder';

describe('MinuteBarBuilder', () => {
  it('aggregates trades within a minute and closes on the next minute', () => {
    const b = new MinuteBarBuilder();
    expect(b.onTrade(60_000, 10, 1).closed).toBeNull();
    b.onTrade(60_500, 12, 2);
    b.onTrade(61_000, 9, 3);
    b.onTrade(119_999, 11, 1);
    const { closed } = b.onTrade(120_000, 11.5, 1);
    expect(closed).toEqual({
      time: 60_000,
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 7,
      firstTs: 60_000,
      lastTs: 119_999,
    });
    expect(b.forming).toEqual({
      time: 120_000,
      open: 11.5,
      high: 11.5,
      low: 11.5,
      close: 11.5,
      volume: 1,
      firstTs: 120_000,
      lastTs: 120_000,
    });
  });

  it('flags late trades and closes idle bars by time', () => {
    const b = new MinuteBarBuilder();
    b.onTrade(120_000, 5, 1);
    expect(b.onTrade(60_000, 6, 1).late).toBe(true);
    expect(b.closeThrough(179_999)).toBeNull();
    expect(b.closeThrough(180_000)?.close).toBe(5);
    expect(b.forming).toBeNull();
  });

  it('orders open and close by trade time, not arrival, within the forming minute', () => {
    const b = new MinuteBarBuilder();
    b.onTrade(60_500, 10, 1);
    b.onTrade(60_100, 9, 1); // earlier print arriving second: the new open
    b.onTrade(60_300, 11, 1); // not the latest: close stays
    expect(b.forming).toMatchObject({ open: 9, close: 10, high: 11, low: 9, volume: 3, firstTs: 60_100 });
  });

  it('reports a trade for a minute closed by time as late instead of reopening it', () => {
    const b = new MinuteBarBuilder();
    b.onTrade(60_000, 10, 1);
    expect(b.closeThrough(120_150)?.time).toBe(60_000);
    // 1 ms before the boundary, arriving 150 ms after it: the minute must not start over.
    expect(b.onTrade(119_999, 5, 1)).toEqual({ closed: null, late: true });
    expect(b.forming).toBeNull();
    // The close point survives a restart when handed back.
    expect(new MinuteBarBuilder(null, b.closedBefore).onTrade(119_999, 5, 1).late).toBe(true);
  });
});

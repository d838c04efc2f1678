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
    expect(closed).toEqual({ time: 60_000, open: 10, high: 12, low: 9, close: 11, volume: 7 });
    expect(b.forming).toEqual({ time: 120_000, open: 11.5, high: 11.5, low: 11.5, close: 11.5, volume: 1 });
  });

  it('flags late trades and closes idle bars by time', () => {
    const b = new MinuteBarBuilder();
    b.onTrade(120_000, 5, 1);
    expect(b.onTrade(60_000, 6, 1).late).toBe(true);
    expect(b.closeThrough(179_999)).toBeNull();
    expect(b.closeThrough(180_000)?.close).toBe(5);
    expect(b.forming).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { checkTick, type TickBounds } from './tick-bounds';

const now = 1_800_000_000_000;
const bounds: TickBounds = { now, maxLatenessMs: 60_000, maxClockSkewMs: 5_000, reference: 100, bandPct: 10 };
const trade = (ts: number, price: number, size = 1) => ({ type: 'trade' as const, ts, price, size });

describe('checkTick', () => {
  it('accepts a tick inside every bound', () => {
    expect(checkTick(trade(now, 105), bounds)).toBeNull();
    expect(checkTick(trade(now - 59_000, 91), bounds)).toBeNull();
    expect(checkTick(trade(now + 4_000, 109.9), bounds)).toBeNull();
    expect(checkTick(trade(now, 1e6), { ...bounds, reference: null })).toBeNull();
  });

  it('refuses ticks too far ahead or behind the room clock', () => {
    expect(checkTick(trade(now + 86_400_000, 100), bounds)?.code).toBe('too_far_ahead');
    expect(checkTick(trade(Number.MAX_SAFE_INTEGER, 100), bounds)?.code).toBe('too_far_ahead');
    expect(checkTick(trade(now - 180_000, 100), bounds)?.code).toBe('too_late');
  });

  it('refuses extreme prices always and prices outside the band of the last trade', () => {
    for (const price of [Number.POSITIVE_INFINITY, Number.MAX_VALUE, 5e-324, Number.NaN, 0, -1]) {
      expect(checkTick(trade(now, price), { ...bounds, reference: null })?.code).toBe('invalid_price');
    }
    expect(checkTick(trade(now, 50), bounds)?.code).toBe('price_out_of_band');
    expect(checkTick(trade(now, 111), bounds)?.code).toBe('price_out_of_band');
    expect(checkTick(trade(now, 50), { ...bounds, bandPct: 60 })).toBeNull();
    const quote = { type: 'quote' as const, ts: now, bid: 99, bidSize: 1, ask: 200, askSize: 1 };
    expect(checkTick(quote, bounds)).toMatchObject({ code: 'price_out_of_band', reason: /ask/ });
  });

  it('refuses sizes that are not finite and positive', () => {
    for (const size of [0, -1, Number.POSITIVE_INFINITY]) {
      expect(checkTick(trade(now, 100, size), bounds)?.code).toBe('invalid_size');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { nextSessionBar, sessionBarClosingAfter, sessionClose } from './calendar';
import { instrument } from './catalog';

const AAPL = instrument('AAPL')!;
const BTC = instrument('BTC-USD')!;
const EURUSD = instrument('EURUSD')!;
const at = (iso: string) => Date.parse(iso);

describe('nextSessionBar (prediction bars on the UTC grid)', () => {
  it("equities: Friday's daily bar is followed by Monday's, closing at 16:00 New York", () => {
    // Summer (EDT, UTC-4) and winter (EST, UTC-5).
    expect(nextSessionBar(AAPL, '1d', at('2026-06-05T00:00:00Z'))).toEqual({
      open: at('2026-06-08T00:00:00Z'),
      close: at('2026-06-08T20:00:00Z'),
    });
    expect(nextSessionBar(AAPL, '1d', at('2026-12-04T00:00:00Z'))).toEqual({
      open: at('2026-12-07T00:00:00Z'),
      close: at('2026-12-07T21:00:00Z'),
    });
    // Midweek: the next day.
    expect(nextSessionBar(AAPL, '1d', at('2026-12-01T00:00:00Z')).close).toBe(at('2026-12-02T21:00:00Z'));
  });

  it('equities: the hour after Friday’s last session hour is Monday’s first (09:30 New York)', () => {
    // 20:00 UTC on Friday 4 December is 15:00 EST: the last session hour; the next starts Monday 14:00 UTC (09:00 EST bucket, open from 09:30).
    expect(nextSessionBar(AAPL, '1h', at('2026-12-04T20:00:00Z'))).toEqual({
      open: at('2026-12-07T14:00:00Z'),
      close: at('2026-12-07T15:00:00Z'),
    });
    // Within the session: simply the next hour.
    expect(nextSessionBar(AAPL, '1h', at('2026-12-07T15:00:00Z')).open).toBe(at('2026-12-07T16:00:00Z'));
  });

  it('crypto trades 24/7: the next bar, weekend or not', () => {
    expect(nextSessionBar(BTC, '1d', at('2026-12-04T00:00:00Z'))).toEqual({
      open: at('2026-12-05T00:00:00Z'),
      close: at('2026-12-06T00:00:00Z'),
    });
    expect(nextSessionBar(BTC, '1h', at('2026-12-05T23:00:00Z'))).toEqual({
      open: at('2026-12-06T00:00:00Z'),
      close: at('2026-12-06T01:00:00Z'),
    });
  });

  it('FX closes Friday 22:00 UTC and reopens Sunday 22:00 UTC', () => {
    expect(sessionClose(EURUSD, at('2026-12-04T00:00:00Z'))).toBe(at('2026-12-04T22:00:00Z'));
    expect(nextSessionBar(EURUSD, '1h', at('2026-12-04T21:00:00Z')).open).toBe(at('2026-12-06T22:00:00Z'));
    expect(nextSessionBar(EURUSD, '1d', at('2026-12-04T00:00:00Z')).open).toBe(at('2026-12-07T00:00:00Z'));
  });
});

describe('sessionBarClosingAfter', () => {
  it('on a Sunday, an equity’s next close is Monday’s; a bar in session closes later the same day', () => {
    expect(sessionBarClosingAfter(AAPL, '1d', at('2026-12-06T12:00:00Z')).close).toBe(
      at('2026-12-07T21:00:00Z'),
    );
    expect(sessionBarClosingAfter(AAPL, '1d', at('2026-12-07T15:00:00Z')).close).toBe(
      at('2026-12-07T21:00:00Z'),
    );
    // After Monday's close, Tuesday's.
    expect(sessionBarClosingAfter(AAPL, '1d', at('2026-12-07T22:00:00Z')).close).toBe(
      at('2026-12-08T21:00:00Z'),
    );
  });

  it('always closes after the given time, for every calendar and timeframe', () => {
    for (const spec of [AAPL, BTC, EURUSD])
      for (const tf of ['1h', '1d'] as const)
        for (let t = at('2026-12-03T00:00:00Z'); t < at('2026-12-09T00:00:00Z'); t += 37 * 60_000)
          expect(sessionBarClosingAfter(spec, tf, t).close).toBeGreaterThan(t);
  });
});

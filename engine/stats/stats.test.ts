import { describe, expect, it } from 'vitest';
import { drawdownSummary } from './drawdown';
import {
  annualization,
  bucketEnds,
  ceilDuration,
  DAY_MS,
  dataPeriodMs,
  isoTime,
  resolutionMs,
} from './periods';

const days = (n: number, start = Date.UTC(2024, 0, 1)) =>
  Float64Array.from({ length: n }, (_, i) => start + i * DAY_MS);

describe('periods', () => {
  it('bar period, rounding unit and annualisation', () => {
    expect(dataPeriodMs(days(10))).toBe(DAY_MS);
    expect(resolutionMs(DAY_MS)).toBe(DAY_MS);
    expect(resolutionMs(3_600_000)).toBe(3_600_000);
    expect(resolutionMs(DAY_MS + 3_600_000)).toBe(3_600_000);
    expect(ceilDuration(DAY_MS + 1, DAY_MS)).toBe(2 * DAY_MS);
    expect(annualization(days(70), DAY_MS)).toEqual({ periods: 365, freq: 'day' });
    const weekdays = days(70).filter((t) => new Date(t).getUTCDay() % 6 !== 0);
    expect(annualization(weekdays, DAY_MS)).toEqual({ periods: 252, freq: 'day' });
    expect(annualization(days(10), 7 * DAY_MS).periods).toBe(52);
  });

  it('buckets keep the last bar of each day / week', () => {
    const hourly = Float64Array.from({ length: 50 }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
    expect(Array.from(bucketEnds(hourly, 'day'))).toEqual([23, 47, 49]);
    // 2024-01-01 is a Monday: weeks run Monday..Sunday.
    expect(Array.from(bucketEnds(days(15), 'week'))).toEqual([6, 13, 14]);
  });

  it('formats times like pandas isoformat', () => {
    expect(isoTime(Date.UTC(2004, 7, 19))).toBe('2004-08-19T00:00:00');
    expect(isoTime(Date.UTC(2004, 7, 19, 1, 2, 3, 400))).toBe('2004-08-19T01:02:03.400');
  });
});

describe('drawdownSummary', () => {
  it('episodes between zero-drawdown bars, last one open-ended', () => {
    const eq = Float64Array.from([100, 90, 95, 100, 110, 99, 105]);
    const out = new Float64Array(eq.length);
    const s = drawdownSummary(eq, days(eq.length), out);
    expect(out[1]).toBeCloseTo(0.1, 15);
    expect(s.max).toBeCloseTo(0.1, 15);
    expect(s.avgPeak).toBeCloseTo((0.1 + 0.1) / 2, 15);
    expect(s.maxDurationMs).toBe(3 * DAY_MS);
    expect(s.avgDurationMs).toBe(((3 + 2) / 2) * DAY_MS);
  });

  it('no episode: NaN, and the library quirk for a one-bar drawdown at the end', () => {
    const flat = drawdownSummary(Float64Array.from([1, 1, 1]), days(3), new Float64Array(3));
    expect(Number.isNaN(flat.maxDurationMs)).toBe(true);
    const last = drawdownSummary(Float64Array.from([1, 1, 0.5]), days(3), new Float64Array(3));
    expect(last.durationsAreFractions).toBe(true);
    expect(last.maxDurationMs).toBe(0.5);
  });
});

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;

/**
 * The data's bar period: the median spacing of the last 100 timestamps
 * (backtesting.py's `_data_period`), in milliseconds; NaN with fewer than 2 bars.
 */
export function dataPeriodMs(time: Float64Array): number {
  const n = time.length;
  const from = Math.max(0, n - 100);
  const diffs: number[] = [];
  for (let i = from + 1; i < n; i++) diffs.push(time[i]! - time[i - 1]!);
  if (diffs.length === 0) return Number.NaN;
  diffs.sort((a, b) => a - b);
  const mid = diffs.length >> 1;
  return diffs.length % 2 === 1 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
}

/**
 * The unit durations are rounded up to: the smallest non-zero component of the bar
 * period (pandas' `Timedelta.resolution_string`), e.g. one day for daily bars and one
 * hour for hourly bars.
 */
export function resolutionMs(periodMs: number): number {
  if (!(periodMs > 0)) return 1;
  if (periodMs % 1000 !== 0) return 1;
  if (periodMs % 60_000 !== 0) return 1000;
  if (periodMs % 3_600_000 !== 0) return 60_000;
  if (periodMs % DAY_MS !== 0) return 3_600_000;
  return DAY_MS;
}

/** Rounds a duration up to a multiple of `unitMs` (pandas' `Timedelta.ceil`). */
export function ceilDuration(ms: number, unitMs: number): number {
  if (Number.isNaN(ms)) return Number.NaN;
  return Math.ceil(ms / unitMs) * unitMs;
}

/** Day of week, Monday = 0 … Sunday = 6, of an epoch-ms UTC timestamp. */
export function dayOfWeek(t: number): number {
  const d = Math.floor(t / DAY_MS);
  return (((d + 3) % 7) + 7) % 7;
}

/** Periodic-return resampling frequency, as chosen by backtesting.py from the bar period. */
export type ResampleFrequency = 'day' | 'week' | 'month' | 'year';

/**
 * Periods per year and resampling frequency: 52 weekly, 12 monthly, 1 yearly (by the
 * whole-day part of the bar period being exactly 7, 31 or 365), else daily with 365 when
 * weekend rows are common (more than 0.6 × 2/7 of rows) and 252 otherwise.
 */
export function annualization(
  time: Float64Array,
  periodMs: number,
): { periods: number; freq: ResampleFrequency } {
  const days = Math.floor(periodMs / DAY_MS);
  if (days === 7) return { periods: 52, freq: 'week' };
  if (days === 31) return { periods: 12, freq: 'month' };
  if (days === 365) return { periods: 1, freq: 'year' };
  let weekend = 0;
  const n = time.length;
  for (let i = 0; i < n; i++) {
    const dow = dayOfWeek(time[i]!);
    if (dow >= 5) weekend++;
  }
  return { periods: n > 0 && weekend / n > (2 / 7) * 0.6 ? 365 : 252, freq: 'day' };
}

/**
 * Index of the last bar in each non-empty calendar bucket (UTC day, Monday–Sunday week,
 * month or year): the bars pandas' `resample(freq).last().dropna()` keeps.
 */
export function bucketEnds(time: Float64Array, freq: ResampleFrequency): Int32Array {
  const n = time.length;
  const ends: number[] = [];
  let prevDay = Number.NaN;
  let prevKey = Number.NaN;
  for (let i = 0; i < n; i++) {
    const day = Math.floor(time[i]! / DAY_MS);
    let key = prevKey;
    if (day !== prevDay) {
      prevDay = day;
      if (freq === 'day') key = day;
      else if (freq === 'week') key = Math.floor((day + 3) / 7);
      else {
        const d = new Date(day * DAY_MS);
        key = freq === 'month' ? d.getUTCFullYear() * 12 + d.getUTCMonth() : d.getUTCFullYear();
      }
    }
    if (i > 0 && key !== prevKey) ends.push(i - 1);
    prevKey = key;
  }
  if (n > 0) ends.push(n - 1);
  return Int32Array.from(ends);
}

/**
 * Timestamp as pandas' `Timestamp.isoformat()` prints a naive UTC time:
 * `2004-08-19T00:00:00`, with milliseconds only when non-zero.
 */
export function isoTime(t: number): string {
  if (!Number.isFinite(t)) return '';
  const s = new Date(t).toISOString();
  return s.endsWith('.000Z') ? s.slice(0, 19) : s.slice(0, 23);
}

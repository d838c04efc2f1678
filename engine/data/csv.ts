import { type OhlcvSeries, seriesLength } from './bars';

/** One rejected cell or row. `row` is 1-based and counts the header as row 1. */
export interface CsvError {
  row: number;
  column?: string;
  reason: string;
}

/** Outcome of {@link parseOhlcvCsv}: the whole series, or every error found (up to a cap). */
export type CsvParseResult = { ok: true; series: OhlcvSeries } | { ok: false; errors: CsvError[] };

/** Bounds on bar times; rows outside are rejected with their row number. */
export interface CsvOptions {
  /** Earliest accepted bar time (epoch ms, inclusive); default 1970-01-01. */
  minTime?: number;
  /** Latest accepted bar time (epoch ms, inclusive); default no limit. */
  maxTime?: number;
}

/** Errors reported at most; parsing stops after this many. */
export const MAX_CSV_ERRORS = 100;

const COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const DATE_HEADERS = new Set(['', 'date', 'datetime', 'time', 'timestamp']);
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Strict parser for vendor OHLCV exports: header `Date,Open,High,Low,Close,Volume`
 * (case-insensitive; the first cell may be empty as pandas writes it), one bar per line,
 * dates `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (UTC) or ISO 8601 with an offset.
 * Any bad row rejects the whole file: bad or non-finite numbers, negative or zero prices,
 * negative volume, high below max(open, close) or low above min(open, close), timestamps
 * not strictly increasing or outside `options`' time range (default from 1970-01-01), a wrong
 * number of columns, or no data at all. Years are read literally: `0050` is the year 50.
 */
export function parseOhlcvCsv(text: string, options: CsvOptions = {}): CsvParseResult {
  const minTime = options.minTime ?? 0;
  const maxTime = options.maxTime ?? Number.POSITIVE_INFINITY;
  const errors: CsvError[] = [];
  const fail = (e: CsvError): boolean => {
    errors.push(e);
    return errors.length >= MAX_CSV_ERRORS;
  };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) return { ok: false, errors: [{ row: 1, reason: 'empty file' }] };

  const header = lines[0]!.split(',').map((h) => h.trim().toLowerCase());
  const headerOk =
    header.length === 6 && DATE_HEADERS.has(header[0]!) && COLUMNS.every((c, k) => header[k + 1] === c);
  if (!headerOk) {
    return {
      ok: false,
      errors: [
        { row: 1, reason: 'header must be Date,Open,High,Low,Close,Volume (first cell may be empty)' },
      ],
    };
  }
  if (lines.length === 1) return { ok: false, errors: [{ row: 2, reason: 'no data rows' }] };

  const m = lines.length - 1;
  const time = new Float64Array(m);
  const cols = COLUMNS.map(() => new Float64Array(m));
  let prevTime = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < m; k++) {
    const row = k + 2;
    const cells = lines[k + 1]!.split(',');
    if (cells.length !== 6) {
      if (fail({ row, reason: `expected 6 columns, found ${cells.length}` })) break;
      continue;
    }
    const t = parseTime(cells[0]!.trim());
    let bad = false;
    if (t === null) {
      bad = true;
      if (fail({ row, column: 'Date', reason: `invalid date "${cells[0]!.trim()}"` })) break;
    } else if (t < minTime || t > maxTime) {
      bad = true;
      const reason = `date "${cells[0]!.trim()}" is outside ${timeRange(minTime, maxTime)}`;
      if (fail({ row, column: 'Date', reason })) break;
    } else if (t <= prevTime) {
      bad = true;
      const reason = t === prevTime ? 'duplicate timestamp' : 'timestamp not after the previous row';
      if (fail({ row, column: 'Date', reason })) break;
    }
    if (t !== null && t >= minTime && t <= maxTime) prevTime = t;
    time[k] = t ?? Number.NaN;
    let stop = false;
    for (let c = 0; c < 5; c++) {
      const raw = cells[c + 1]!.trim();
      const name = COLUMN_TITLES[c]!;
      const v = NUMBER.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(v)) {
        bad = true;
        stop = fail({ row, column: name, reason: raw === '' ? 'missing value' : `not a number: "${raw}"` });
      } else if (c < 4 && v <= 0) {
        bad = true;
        stop = fail({ row, column: name, reason: 'price must be positive' });
      } else if (c === 4 && v < 0) {
        bad = true;
        stop = fail({ row, column: name, reason: 'volume must not be negative' });
      }
      if (stop) break;
      cols[c]![k] = v;
    }
    if (stop) break;
    if (bad) continue;
    const o = cols[0]![k]!;
    const h = cols[1]![k]!;
    const l = cols[2]![k]!;
    const cl = cols[3]![k]!;
    if (h < Math.max(o, cl)) {
      if (fail({ row, column: 'High', reason: 'high is below max(open, close)' })) break;
    } else if (l > Math.min(o, cl)) {
      if (fail({ row, column: 'Low', reason: 'low is above min(open, close)' })) break;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const series: OhlcvSeries = {
    time,
    open: cols[0]!,
    high: cols[1]!,
    low: cols[2]!,
    close: cols[3]!,
    volume: cols[4]!,
  };
  return seriesLength(series) > 0
    ? { ok: true, series }
    : { ok: false, errors: [{ row: 2, reason: 'no data rows' }] };
}

/** `[1970-01-01T00:00:00.000Z, 2025-01-02T00:00:00.000Z]` for error messages. */
export function timeRange(min: number, max: number): string {
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : 'any later date');
  return `[${iso(min)}, ${iso(max)}]`;
}

const COLUMN_TITLES = ['Open', 'High', 'Low', 'Close', 'Volume'] as const;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms of a date cell, or null when it is not a valid calendar date/time. */
export function parseTime(s: string): number | null {
  const m = DATE.exec(s);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const hh = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const ss = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7] === undefined ? 0 : Number(`0.${m[7]}`);
  if (mo < 1 || mo > 12) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!;
  if (d < 1 || d > dim || hh > 23 || mi > 59 || ss > 59) return null;
  // Not Date.UTC: it maps years 0–99 to 1900–1999, which once stored `0050` as 1950.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(hh, mi, ss, 0);
  let t = date.getTime() + Math.round(frac * 1000);
  const tz = m[8];
  if (tz !== undefined && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    t -= sign * (oh * 60 + om) * 60_000;
  }
  return t;
}

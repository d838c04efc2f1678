import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseOhlcvCsv, parseTime } from './csv';

const HEADER = 'Date,Open,High,Low,Close,Volume';
const csv = (...rows: string[]): string => [HEADER, ...rows].join('\n');
const errorsOf = (text: string) => {
  const r = parseOhlcvCsv(text);
  if (r.ok) throw new Error('expected rejection');
  return r.errors;
};

describe('parseOhlcvCsv', () => {
  it('parses dates, datetimes and ISO times as UTC epoch ms', () => {
    const r = parseOhlcvCsv(
      csv(
        '2024-01-02,10,11,9,10.5,100',
        '2024-01-02 15:30:00,10,11,9,10.5,0',
        '2024-01-03T00:00:00Z,1e1,11,9,10,5',
        '2024-01-03T02:00:00+01:00,10,10,10,10,5',
      ),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(Array.from(r.series.time)).toEqual([
      Date.UTC(2024, 0, 2),
      Date.UTC(2024, 0, 2, 15, 30),
      Date.UTC(2024, 0, 3),
      Date.UTC(2024, 0, 3, 1),
    ]);
    expect(Array.from(r.series.open)).toEqual([10, 10, 10, 10]);
    expect(r.series.close[0]).toBe(10.5);
  });

  it('accepts the pandas header, any case, CRLF, a BOM and trailing blank lines', () => {
    const text = '\ufeff,open,HIGH,Low,close,Volume\r\n2024-01-02,10,11,9,10.5,100\r\n\r\n';
    const r = parseOhlcvCsv(text);
    expect(r.ok).toBe(true);
  });

  it('rejects an empty file, a bad header and a header without rows', () => {
    expect(errorsOf('')).toEqual([{ row: 1, reason: 'empty file' }]);
    expect(errorsOf('Date,Open,High,Low,Close\n2024-01-02,1,1,1,1')[0]!.row).toBe(1);
    expect(errorsOf(HEADER)[0]).toEqual({ row: 2, reason: 'no data rows' });
  });

  it('reports the 1-based row (header = row 1) and column of each bad value', () => {
    const errs = errorsOf(
      csv(
        '2024-01-02,10,11,9,10,100',
        '2024-01-03,abc,11,9,10,100',
        '2024-01-04,10,11,9,NaN,100',
        '2024-01-05,-1,11,9,10,100',
        '2024-01-06,10,11,9,10,-5',
        '2024-01-07,10,11,9',
        '2024-01-08,10,9.5,9,10,1',
        '2024-01-09,10,11,10.5,11,1',
        '2024-02-30,10,11,9,10,1',
        '2024-01-10,10,11,9,,1',
      ),
    );
    expect(errs).toEqual([
      { row: 3, column: 'Open', reason: 'not a number: "abc"' },
      { row: 4, column: 'Close', reason: 'not a number: "NaN"' },
      { row: 5, column: 'Open', reason: 'price must be positive' },
      { row: 6, column: 'Volume', reason: 'volume must not be negative' },
      { row: 7, reason: 'expected 6 columns, found 4' },
      { row: 8, column: 'High', reason: 'high is below max(open, close)' },
      { row: 9, column: 'Low', reason: 'low is above min(open, close)' },
      { row: 10, column: 'Date', reason: 'invalid date "2024-02-30"' },
      { row: 11, column: 'Close', reason: 'missing value' },
    ]);
  });

  it('rejects duplicate and decreasing timestamps', () => {
    expect(errorsOf(csv('2024-01-02,1,1,1,1,1', '2024-01-02,1,1,1,1,1'))).toEqual([
      { row: 3, column: 'Date', reason: 'duplicate timestamp' },
    ]);
    expect(errorsOf(csv('2024-01-03,1,1,1,1,1', '2024-01-02,1,1,1,1,1'))[0]!.reason).toBe(
      'timestamp not after the previous row',
    );
  });

  it('parseTime validates the calendar', () => {
    expect(parseTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTime('2023-02-29')).toBeNull();
    expect(parseTime('2024-01-01 24:00:00')).toBeNull();
    expect(parseTime('01/02/2024')).toBeNull();
    expect(parseTime('2024-01-01T10:00:00.250Z')).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, 250));
  });

  it('parses the shared vendor files when present', () => {
    for (const [name, rows] of [
      ['GOOG.csv', 2148],
      ['EURUSD.csv', 5000],
      ['BTCUSD.csv', 156],
    ] as const) {
      const p = fileURLToPath(new URL(`../../../shared/data/${name}`, import.meta.url));
      if (!existsSync(p)) continue;
      const r = parseOhlcvCsv(readFileSync(p, 'utf8'));
      if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.errors.slice(0, 3))}`);
      expect(r.series.close.length).toBe(rows);
    }
  });

  it('reads 4-digit years literally and rejects dates outside the range with their row', () => {
    expect(parseTime('0050-01-02')).toBe(new Date('0050-01-02T00:00:00Z').getTime());
    expect(parseTime('0050-01-02')).not.toBe(Date.UTC(1950, 0, 2));
    const now = Date.UTC(2026, 0, 1);
    const text = [
      'Date,Open,High,Low,Close,Volume',
      '1969-12-31,10,11,9,10,1',
      '0050-01-02,10,11,9,10,1',
      '2025-01-02,10,11,9,10,1',
      '2099-01-02,10,11,9,10,1',
    ].join('\n');
    const r = parseOhlcvCsv(text, { minTime: 0, maxTime: now + 86_400_000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.row)).toEqual([2, 3, 5]);
    expect(r.errors.every((e) => e.column === 'Date' && /outside/.test(e.reason))).toBe(true);
  });
});

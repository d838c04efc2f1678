/**
 * Column-oriented OHLCV series: the one shape every engine module takes.
 * Typed arrays keep the hot loops free of object allocation and let a series
 * cross isolates (postMessage, structured clone) without copying field by field.
 */
export interface OhlcvSeries {
  /** Bar open time, epoch milliseconds UTC, strictly increasing. */
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** One bar as rows arrive from the API or a CSV line. */
export interface OhlcvRow {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function seriesLength(s: OhlcvSeries): number {
  return s.close.length;
}

/** A zero-filled series of `n` bars, to be written in place. */
export function emptySeries(n: number): OhlcvSeries {
  return {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
}

/** Writes one row into a series at index `i` (which must be within its capacity). */
export function setRow(s: OhlcvSeries, i: number, r: OhlcvRow): void {
  s.time[i] = r.time;
  s.open[i] = r.open;
  s.high[i] = r.high;
  s.low[i] = r.low;
  s.close[i] = r.close;
  s.volume[i] = r.volume;
}

export function seriesFromRows(rows: readonly OhlcvRow[]): OhlcvSeries {
  const n = rows.length;
  const s = emptySeries(n);
  for (let i = 0; i < n; i++) setRow(s, i, rows[i]!);
  return s;
}

export function rowsFromSeries(s: OhlcvSeries): OhlcvRow[] {
  const out: OhlcvRow[] = new Array(s.close.length);
  for (let i = 0; i < s.close.length; i++) {
    out[i] = {
      time: s.time[i]!,
      open: s.open[i]!,
      high: s.high[i]!,
      low: s.low[i]!,
      close: s.close[i]!,
      volume: s.volume[i]!,
    };
  }
  return out;
}

/** A view of bars [start, end) sharing the underlying buffers. */
export function sliceSeries(s: OhlcvSeries, start: number, end: number): OhlcvSeries {
  return {
    time: s.time.subarray(start, end),
    open: s.open.subarray(start, end),
    high: s.high.subarray(start, end),
    low: s.low.subarray(start, end),
    close: s.close.subarray(start, end),
    volume: s.volume.subarray(start, end),
  };
}

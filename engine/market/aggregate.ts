import type { OhlcvRow } from '../data/bars';

/**
 * Aggregates ascending bars into buckets of `bucketMs` (aligned to the epoch, so 5m bars start
 * at :00, :05…). Open is the first bar's open, close the last bar's close, volume the sum.
 */
export function aggregateBars(rows: readonly OhlcvRow[], bucketMs: number): OhlcvRow[] {
  const out: OhlcvRow[] = [];
  let cur: OhlcvRow | null = null;
  for (const r of rows) {
    const bucket = Math.floor(r.time / bucketMs) * bucketMs;
    if (cur && cur.time === bucket) {
      if (r.high > cur.high) cur.high = r.high;
      if (r.low < cur.low) cur.low = r.low;
      cur.close = r.close;
      cur.volume += r.volume;
    } else {
      cur = { time: bucket, open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume };
      out.push(cur);
    }
  }
  return out;
}

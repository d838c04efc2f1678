import type { OhlcvSeries } from '../../engine/data/bars';

/**
 * Stored series the inline backtest path loaded, kept in isolate memory so that the next run
 * over the same range skips reading and hashing thousands of bars. An entry is only ever used
 * after D1 confirmed, in the same batch that would otherwise reload the bars, that the series'
 * counter in `bar_versions` is unchanged (every write to `bars` bumps it through a trigger) and,
 * for a range open towards now, that no bar arrived after the entry was loaded. So an entry can
 * be old but never wrong; the budget below only bounds memory.
 *
 * Entries are shared by every request of the isolate: the engine reads series and never writes
 * them, and nothing here hands out a copy.
 */
export interface CachedSeries {
  series: OhlcvSeries;
  /** SHA-256 (hex) of the series' bytes, the data part of the content hash. */
  digest: string;
  /** `bar_versions.version` when the series was read. */
  version: number;
  /** Upper bound of the range when it was read (the request's `to`, or the time then). */
  loadedTo: number;
  bytes: number;
}

/** Memory kept for series across requests (Workers isolates have 128 MB). */
const BUDGET_BYTES = 16 * 1024 * 1024;

const entries = new Map<string, CachedSeries>();
let used = 0;

/** Key of a stored range: source timeframe, `from` floored to its bucket, and `to` if given. */
export function seriesKey(symbol: string, timeframe: string, from: number, to: number | undefined): string {
  return `${symbol}|${timeframe}|${from}|${to ?? ''}`;
}

/** The entry for a range (marked recently used), or undefined. */
export function recallSeries(key: string): CachedSeries | undefined {
  const e = entries.get(key);
  if (e) {
    // Maps iterate in insertion order: re-inserting makes this the newest, evicted last.
    entries.delete(key);
    entries.set(key, e);
  }
  return e;
}

/** Keeps a series, evicting the least recently used ones beyond the budget. */
export function rememberSeries(key: string, entry: Omit<CachedSeries, 'bytes'>): void {
  forgetSeries(key);
  const bytes = entry.series.close.length * 6 * Float64Array.BYTES_PER_ELEMENT;
  if (bytes > BUDGET_BYTES / 4) return;
  entries.set(key, { ...entry, bytes });
  used += bytes;
  for (const [k, e] of entries) {
    if (used <= BUDGET_BYTES) break;
    entries.delete(k);
    used -= e.bytes;
  }
}

export function forgetSeries(key: string): void {
  const e = entries.get(key);
  if (!e) return;
  entries.delete(key);
  used -= e.bytes;
}

/** Number of series kept and their bytes (tests and diagnostics). */
export function seriesCacheSize(): { entries: number; bytes: number } {
  return { entries: entries.size, bytes: used };
}

import type { OhlcvRow } from '../data/bars';

/**
 * A bar that knows when its first and last trades happened, so that pieces of the same bar
 * arriving out of order (a late trade, a retried flush, a room restart) merge into the same
 * result whatever their order: open comes from the earliest trade, close from the latest.
 */
export interface TimedBar extends OhlcvRow {
  /** Feed time of the bar's earliest trade (epoch ms). */
  firstTs: number;
  /** Feed time of the bar's latest trade (epoch ms). */
  lastTs: number;
}

/** A bar of one trade. */
export function barFromTrade(time: number, ts: number, price: number, size: number): TimedBar {
  return { time, open: price, high: price, low: price, close: price, volume: size, firstTs: ts, lastTs: ts };
}

/**
 * Folds one trade into `bar` in place: high/low widen, volume adds, open moves only for a trade
 * earlier than the bar's first and close only for one not earlier than its last (equal feed
 * times: the later arrival wins, as it would have in order).
 */
export function mergeTrade(bar: TimedBar, ts: number, price: number, size: number): TimedBar {
  if (price > bar.high) bar.high = price;
  if (price < bar.low) bar.low = price;
  if (ts < bar.firstTs) {
    bar.firstTs = ts;
    bar.open = price;
  }
  if (ts >= bar.lastTs) {
    bar.lastTs = ts;
    bar.close = price;
  }
  bar.volume += size;
  return bar;
}

/**
 * Merges two disjoint sets of trades of the same bar (volumes add). The result contains both:
 * it is never "less" than either side.
 */
export function mergeBars(a: TimedBar, b: TimedBar): TimedBar {
  const earlier = b.firstTs < a.firstTs ? b : a;
  const later = b.lastTs >= a.lastTs ? b : a;
  return {
    time: a.time,
    open: earlier.open,
    high: Math.max(a.high, b.high),
    low: Math.min(a.low, b.low),
    close: later.close,
    volume: a.volume + b.volume,
    firstTs: earlier.firstTs,
    lastTs: later.lastTs,
  };
}

/**
 * Why a stored bar is invalid, or null when it is sound: prices finite and positive,
 * low ≤ open, close ≤ high, volume finite and not negative. The same rules as `npm run db:check`.
 */
export function barViolation(b: OhlcvRow): string | null {
  for (const k of ['open', 'high', 'low', 'close'] as const) {
    if (!Number.isFinite(b[k]) || b[k] <= 0) return `${k} is not a finite positive price`;
  }
  if (!Number.isFinite(b.volume) || b.volume < 0) return 'volume is not a finite non-negative number';
  if (b.low > Math.min(b.open, b.close)) return 'low is above open or close';
  if (b.high < Math.max(b.open, b.close)) return 'high is below open or close';
  return null;
}

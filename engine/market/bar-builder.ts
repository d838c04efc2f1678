import type { OhlcvRow } from '../data/bars';

const MINUTE = 60_000;

/**
 * Forms 1-minute bars from trades. A bar closes when a trade arrives in a later minute or when
 * `closeThrough(now)` is told that its minute has passed. Trades older than the forming bar
 * (late prints) are folded into nothing here: the caller decides whether to amend stored bars.
 */
export class MinuteBarBuilder {
  private current: OhlcvRow | null = null;

  constructor(initial: OhlcvRow | null = null) {
    this.current = initial;
  }

  get forming(): OhlcvRow | null {
    return this.current;
  }

  /** Adds a trade; returns the bar it closed, if the trade starts a new minute. */
  onTrade(ts: number, price: number, size: number): { closed: OhlcvRow | null; late: boolean } {
    const minute = Math.floor(ts / MINUTE) * MINUTE;
    const cur = this.current;
    if (cur && minute < cur.time) return { closed: null, late: true };
    if (cur && minute === cur.time) {
      if (price > cur.high) cur.high = price;
      if (price < cur.low) cur.low = price;
      cur.close = price;
      cur.volume += size;
      return { closed: null, late: false };
    }
    this.current = { time: minute, open: price, high: price, low: price, close: price, volume: size };
    return { closed: cur, late: false };
  }

  /** Closes the forming bar if its minute ended before `now`. */
  closeThrough(now: number): OhlcvRow | null {
    const cur = this.current;
    if (cur && cur.time + MINUTE <= now) {
      this.current = null;
      return cur;
    }
    return null;
  }
}

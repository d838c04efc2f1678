import { barFromTrade, mergeTrade, type TimedBar } from './bar-merge';

const MINUTE = 60_000;

/**
 * Forms 1-minute bars from trades. A bar closes when a trade arrives in a later minute or when
 * `closeThrough(now)` is told that its minute has passed. A trade for a minute that has already
 * closed is reported `late` and left to the caller, which merges it into the closed bar it keeps:
 * starting a new bar for a closed minute would later replace that minute's stored bar with a
 * fragment (how the simulator once wrote bars whose low was above their open).
 */
export class MinuteBarBuilder {
  private current: TimedBar | null;
  /** Minutes before this one have closed (0: none known). Persisted by the caller. */
  private closedBeforeMs: number;

  constructor(initial: TimedBar | null = null, closedBefore = 0) {
    this.current = initial;
    this.closedBeforeMs = Math.max(closedBefore, 0);
  }

  get forming(): TimedBar | null {
    return this.current;
  }

  /** The start of the first minute that has not closed yet, as far as this builder knows. */
  get closedBefore(): number {
    return this.closedBeforeMs;
  }

  /** Adds a trade; returns the bar it closed, if the trade starts a new minute, or `late`. */
  onTrade(ts: number, price: number, size: number): { closed: TimedBar | null; late: boolean } {
    const minute = Math.floor(ts / MINUTE) * MINUTE;
    const cur = this.current;
    if (minute < this.closedBeforeMs || (cur && minute < cur.time)) return { closed: null, late: true };
    if (cur && minute === cur.time) {
      mergeTrade(cur, ts, price, size);
      return { closed: null, late: false };
    }
    this.current = barFromTrade(minute, ts, price, size);
    if (cur) this.closedBeforeMs = cur.time + MINUTE;
    return { closed: cur, late: false };
  }

  /** Closes the forming bar if its minute ended before `now`. */
  closeThrough(now: number): TimedBar | null {
    const cur = this.current;
    if (cur && cur.time + MINUTE <= now) {
      this.current = null;
      this.closedBeforeMs = cur.time + MINUTE;
      return cur;
    }
    return null;
  }
}

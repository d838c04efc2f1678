import type { Bar } from '../api/market-api';

/**
 * Bars of one timeframe kept current from the stream: 1-minute bar messages are folded into the
 * timeframe's bucket (volume summed per minute, so repeated updates of a forming minute don't
 * double count) and trades move the forming bar's close, high and low.
 */
export class LiveBars {
  bars: Bar[] = [];
  #minuteVolumes = new Map<number, number>();

  constructor(readonly timeframeMs: number) {}

  reset(bars: Bar[]): void {
    this.bars = bars.slice();
    this.#minuteVolumes.clear();
  }

  #bucket(t: number): number {
    return Math.floor(t / this.timeframeMs) * this.timeframeMs;
  }

  /** Folds in a 1-minute bar message; returns the changed bar, or null when it is older than the chart. */
  applyMinuteBar(m: Bar): Bar | null {
    const t = this.#bucket(m.t);
    const last = this.bars[this.bars.length - 1];
    if (last && t < last.t) return null;
    if (!last || t > last.t) {
      this.#minuteVolumes.clear();
      this.#minuteVolumes.set(m.t, m.v);
      const bar = { t, o: m.o, h: m.h, l: m.l, c: m.c, v: m.v };
      this.bars.push(bar);
      return bar;
    }
    const before =
      this.#minuteVolumes.size === 0 ? last.v : [...this.#minuteVolumes.values()].reduce((a, b) => a + b, 0);
    const base = last.v - before;
    this.#minuteVolumes.set(m.t, m.v);
    const sum = [...this.#minuteVolumes.values()].reduce((a, b) => a + b, 0);
    last.h = Math.max(last.h, m.h);
    last.l = Math.min(last.l, m.l);
    last.c = m.c;
    last.v = Math.max(0, base) + sum;
    return last;
  }

  /** Moves the forming bar with a trade (opening a new bar when the trade starts a new bucket). */
  applyTrade(price: number, ts: number): Bar | null {
    const t = this.#bucket(ts);
    const last = this.bars[this.bars.length - 1];
    if (last && t < last.t) return null;
    if (!last || t > last.t) {
      this.#minuteVolumes.clear();
      const bar = { t, o: price, h: price, l: price, c: price, v: 0 };
      this.bars.push(bar);
      return bar;
    }
    last.c = price;
    last.h = Math.max(last.h, price);
    last.l = Math.min(last.l, price);
    return last;
  }
}

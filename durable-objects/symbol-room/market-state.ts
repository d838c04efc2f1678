import type { OhlcvRow } from '../../engine/data/bars';
import { DAY_MS } from '../../engine/stats/periods';
import type { Quote } from '../../schema/contracts/market';

/** The latest trade, quote and session statistics of one symbol. Pure: no storage, no I/O. */
export class MarketState {
  quote: Quote;
  /**
   * Feed time of the trade `quote.last` came from (0: none yet). A trade older than it (a late
   * print merged into a closed bar) must not become `last`.
   */
  lastTradeTs: number;
  /** Feed time of the quote `bid`/`ask` came from (0: none yet); older quotes do not replace it. */
  lastQuoteTs: number;

  constructor(symbol: string, saved: Quote | null, lastTradeTs = 0, lastQuoteTs = 0) {
    this.lastTradeTs = lastTradeTs;
    this.lastQuoteTs = lastQuoteTs;
    this.quote = saved ?? {
      symbol,
      seq: 0,
      ts: 0,
      last: null,
      lastSize: null,
      bid: null,
      bidSize: null,
      ask: null,
      askSize: null,
      dayOpen: null,
      dayHigh: null,
      dayLow: null,
      dayVolume: null,
      prevClose: null,
    };
  }

  onTrade(seq: number, ts: number, price: number, size: number): void {
    const q = this.quote;
    this.rollDay(ts);
    q.seq = seq;
    if (ts >= this.lastTradeTs) {
      this.lastTradeTs = ts;
      q.last = price;
      q.lastSize = size;
    }
    // A late print from before the current day belongs to that day's bar, not to today's figures.
    if (q.ts && Math.floor(ts / DAY_MS) < Math.floor(q.ts / DAY_MS)) return;
    q.ts = Math.max(q.ts, ts);
    q.dayOpen ??= price;
    q.dayHigh = q.dayHigh === null ? price : Math.max(q.dayHigh, price);
    q.dayLow = q.dayLow === null ? price : Math.min(q.dayLow, price);
    q.dayVolume = (q.dayVolume ?? 0) + size;
  }

  onQuote(seq: number, ts: number, bid: number, bidSize: number, ask: number, askSize: number): void {
    const q = this.quote;
    q.seq = seq;
    if (ts < this.lastQuoteTs) return;
    this.lastQuoteTs = ts;
    q.ts = Math.max(q.ts, ts);
    q.bid = bid;
    q.bidSize = bidSize;
    q.ask = ask;
    q.askSize = askSize;
  }

  /** Seeds previous close and the day's figures from stored bars when the room first wakes. */
  seedFromBars(lastDaily: OhlcvRow | null, today: OhlcvRow | null): void {
    const q = this.quote;
    if (q.seq > 0) return;
    if (today) {
      q.dayOpen = today.open;
      q.dayHigh = today.high;
      q.dayLow = today.low;
      q.dayVolume = today.volume;
      q.last = today.close;
      q.ts = today.time;
    }
    if (lastDaily) {
      q.prevClose = lastDaily.close;
      q.last ??= lastDaily.close;
      if (!q.ts) q.ts = lastDaily.time;
    }
  }

  private rollDay(ts: number): void {
    const q = this.quote;
    if (q.ts && Math.floor(q.ts / DAY_MS) !== Math.floor(ts / DAY_MS) && ts > q.ts) {
      q.prevClose = q.last;
      q.dayOpen = null;
      q.dayHigh = null;
      q.dayLow = null;
      q.dayVolume = 0;
    }
  }
}

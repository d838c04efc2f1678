import type { Bar, Quote, SymbolInfo, Timeframe } from '../api/market-api';
import type { FeedEvent, FeedStatus } from '../stream/feed-events';
import { Emitter } from './emitter';

/** The latest known state of one symbol, as the watchlist shows it. */
export interface LiveQuote {
  symbol: string;
  last: number | null;
  prevClose: number | null;
  bid: number | null;
  ask: number | null;
  ts: number;
  /** Recent closes for the sparkline, oldest first; the last point follows the live price. */
  spark: number[];
}

type StoreEvents = {
  quote: LiveQuote;
  trade: { symbol: string; price: number; size: number; ts: number };
  bar: { symbol: string; bar: Bar; final: boolean };
  reset: { symbol: string };
  select: { symbol: string; timeframe: Timeframe };
  status: FeedStatus;
  /** The visible tab changed. */
  tab: string;
};

/** Shared state of the signed-in session: symbols, live quotes, the selection and stream status. */
export class MarketStore extends Emitter<StoreEvents> {
  symbols: SymbolInfo[] = [];
  quotes = new Map<string, LiveQuote>();
  selected = '';
  timeframe: Timeframe = '1m';
  status: FeedStatus = { state: 'connecting' };

  setSymbols(list: SymbolInfo[]): void {
    this.symbols = list;
    for (const s of list) if (!this.quotes.has(s.symbol)) this.quotes.set(s.symbol, blank(s.symbol));
    if (!this.selected && list[0]) this.selected = list[0].symbol;
  }

  select(symbol: string, timeframe: Timeframe = this.timeframe): void {
    if (symbol === this.selected && timeframe === this.timeframe) return;
    this.selected = symbol;
    this.timeframe = timeframe;
    this.emit('select', { symbol, timeframe });
  }

  setStatus(status: FeedStatus): void {
    this.status = status;
    this.emit('status', status);
  }

  setQuote(symbol: string, quote: Partial<Quote>): void {
    const q = this.#quote(symbol);
    if (typeof quote.last === 'number') q.last = quote.last;
    if (typeof quote.prevClose === 'number') q.prevClose = quote.prevClose;
    if (typeof quote.bid === 'number') q.bid = quote.bid;
    if (typeof quote.ask === 'number') q.ask = quote.ask;
    if (typeof quote.ts === 'number') q.ts = quote.ts;
    if (q.last !== null) setLastSpark(q, q.last);
    this.emit('quote', q);
  }

  /** Recent daily closes; they also stand in for the quote until the first live price arrives. */
  setSpark(symbol: string, closes: number[]): void {
    const q = this.#quote(symbol);
    q.spark = closes.slice(-40);
    if (q.last === null && closes.length > 0) q.last = closes[closes.length - 1]!;
    if (q.prevClose === null && closes.length > 1) q.prevClose = closes[closes.length - 2]!;
    if (q.last !== null) setLastSpark(q, q.last);
    this.emit('quote', q);
  }

  apply(events: FeedEvent[]): void {
    const touched = new Set<string>();
    for (const e of events) {
      switch (e.kind) {
        case 'trade': {
          const q = this.#quote(e.symbol);
          q.last = e.price;
          q.ts = e.ts;
          setLastSpark(q, e.price);
          touched.add(e.symbol);
          this.emit('trade', e);
          break;
        }
        case 'quote': {
          const q = this.#quote(e.symbol);
          q.bid = e.bid;
          q.ask = e.ask;
          touched.add(e.symbol);
          break;
        }
        case 'bar':
          this.emit('bar', e);
          break;
        case 'snapshot':
          if (e.reset) this.emit('reset', { symbol: e.symbol });
          this.setQuote(e.symbol, e.quote);
          break;
      }
    }
    for (const s of touched) this.emit('quote', this.#quote(s));
  }

  #quote(symbol: string): LiveQuote {
    let q = this.quotes.get(symbol);
    if (!q) {
      q = blank(symbol);
      this.quotes.set(symbol, q);
    }
    return q;
  }
}

function blank(symbol: string): LiveQuote {
  return { symbol, last: null, prevClose: null, bid: null, ask: null, ts: 0, spark: [] };
}

function setLastSpark(q: LiveQuote, price: number): void {
  if (q.spark.length === 0) q.spark.push(price);
  else q.spark[q.spark.length - 1] = price;
}

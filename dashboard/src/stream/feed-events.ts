import { isObject, num, str } from '../api/guards';
import type { Bar, Quote } from '../api/market-api';

/** What the dashboard needs from the market stream, whatever transport delivered it. */
export type FeedEvent =
  | { kind: 'trade'; symbol: string; price: number; size: number; ts: number }
  | { kind: 'quote'; symbol: string; bid: number; ask: number; ts: number }
  | { kind: 'bar'; symbol: string; bar: Bar; final: boolean }
  /** A full quote: a stream snapshot or a polled `/quotes` answer; `reset` when history was lost. */
  | { kind: 'snapshot'; symbol: string; quote: Partial<Quote>; reset: boolean };

export type FeedStatus =
  | { state: 'connecting' }
  | { state: 'live' }
  /** The stream dropped; quotes are polled until it is back. */
  | { state: 'reconnecting'; attempt: number; reason: string }
  /** The streaming endpoints are not deployed: quotes are polled instead. */
  | { state: 'polling'; reason: string }
  | { state: 'stopped' };

/** One data message (`StreamMessage` of schema/contracts/stream.ts) as feed events. */
export function eventsFromMessage(m: unknown): FeedEvent[] {
  if (!isObject(m)) return [];
  const symbol = str(m.symbol);
  if (!symbol) return [];
  switch (m.type) {
    case 'trade': {
      const price = num(m.price);
      return price === null
        ? []
        : [{ kind: 'trade', symbol, price, size: num(m.size) ?? 0, ts: num(m.ts) ?? Date.now() }];
    }
    case 'quote': {
      const bid = num(m.bid);
      const ask = num(m.ask);
      return bid === null || ask === null
        ? []
        : [{ kind: 'quote', symbol, bid, ask, ts: num(m.ts) ?? Date.now() }];
    }
    case 'bar': {
      const bar = barOf(m.t, m.o, m.h, m.l, m.c, m.v);
      return bar ? [{ kind: 'bar', symbol, bar, final: m.final === true }] : [];
    }
    default:
      return [];
  }
}

function barOf(...values: unknown[]): Bar | null {
  const [t, o, h, l, c, v] = values.map(num);
  if (t == null || o == null || h == null || l == null || c == null) return null;
  return { t, o, h, l, c, v: v ?? 0 };
}

/** A `snapshot` frame: the quote, then its recent closed bars and the forming one. */
export function eventsFromSnapshot(f: Record<string, unknown>): FeedEvent[] {
  const symbol = str(f.symbol);
  if (!symbol) return [];
  const out: FeedEvent[] = [];
  if (isObject(f.quote))
    out.push({ kind: 'snapshot', symbol, quote: f.quote as Partial<Quote>, reset: f.reset === true });
  else if (f.reset === true) out.push({ kind: 'snapshot', symbol, quote: {}, reset: true });
  const ohlcv = (b: unknown, final: boolean) => {
    if (!isObject(b)) return;
    const bar = barOf(b.time, b.open, b.high, b.low, b.close, b.volume);
    if (bar) out.push({ kind: 'bar', symbol, bar, final });
  };
  if (Array.isArray(f.bars)) for (const b of f.bars) ohlcv(b, true);
  ohlcv(f.forming, false);
  return out;
}

import type { Bar, Quote, SymbolInfo } from '../../../schema/contracts/market';
import { TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from '../../../schema/contracts/timeframes';
import { expectArray, expectObject, isObject, num, str } from './guards';
import type { HttpClient } from './http-client';

export type { Bar, Quote, SymbolInfo };
export { TIMEFRAME_MS, TIMEFRAMES, type Timeframe };

function parseBar(v: unknown): Bar | null {
  if (!isObject(v)) return null;
  const t = num(v.t);
  const o = num(v.o);
  const h = num(v.h);
  const l = num(v.l);
  const c = num(v.c);
  if (t === null || o === null || h === null || l === null || c === null) return null;
  return { t, o, h, l, c, v: num(v.v) ?? 0 };
}

function parseQuote(v: unknown): Quote {
  const q = expectObject(v, 'quote');
  const n = (k: string) => num(q[k]);
  return {
    symbol: str(q.symbol) ?? '',
    seq: n('seq') ?? 0,
    ts: n('ts') ?? 0,
    last: n('last'),
    lastSize: n('lastSize'),
    bid: n('bid'),
    bidSize: n('bidSize'),
    ask: n('ask'),
    askSize: n('askSize'),
    dayOpen: n('dayOpen'),
    dayHigh: n('dayHigh'),
    dayLow: n('dayLow'),
    dayVolume: n('dayVolume'),
    prevClose: n('prevClose'),
  };
}

/** Market data reads: symbols, quotes and bars. */
export class MarketApi {
  constructor(private readonly http: HttpClient) {}

  async symbols(): Promise<SymbolInfo[]> {
    const body = expectObject(await this.http.json('/api/v1/symbols'), 'symbol list');
    return expectArray(body.data, 'symbol list').filter(
      (s): s is SymbolInfo => isObject(s) && typeof s.symbol === 'string',
    );
  }

  async quote(symbol: string): Promise<{ quote: Quote; stale: boolean }> {
    const body = expectObject(await this.http.json(`/api/v1/quotes/${encodeURIComponent(symbol)}`), 'quote');
    return { quote: parseQuote(body.data), stale: body.stale === true };
  }

  async bars(
    symbol: string,
    timeframe: Timeframe,
    limit: number,
    signal?: AbortSignal,
  ): Promise<{ bars: Bar[]; stale: boolean }> {
    const q = new URLSearchParams({ timeframe, limit: String(limit) });
    const body = expectObject(
      await this.http.json(`/api/v1/bars/${encodeURIComponent(symbol)}?${q}`, { signal }),
      'bars',
    );
    const bars = expectArray(body.data, 'bars')
      .map(parseBar)
      .filter((b): b is Bar => b !== null)
      .sort((a, b) => a.t - b.t);
    return { bars, stale: body.stale === true };
  }
}

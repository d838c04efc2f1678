import type { OhlcvSeries } from '../data/bars';
import { atr } from '../indicators/atr';
import { bollinger } from '../indicators/bollinger';
import { ema } from '../indicators/ema';
import { highest, lowest } from '../indicators/extremes';
import { macd } from '../indicators/macd';
import { rsi } from '../indicators/rsi';
import { sma, smaPair } from '../indicators/sma';
import type { IndicatorCache } from './indicator-cache';
import { type PriceField, priceArray } from './sources';

/** Cached SMA of a price field. */
export function cachedSma(c: IndicatorCache, s: OhlcvSeries, src: PriceField, p: number): Float64Array {
  return c.get(`sma:${src}:${p}`, (out) => sma(priceArray(s, src), p, out));
}

/** Two cached SMAs of one price field, computed in one fused pass when neither is held yet. */
export function cachedSmaPair(
  c: IndicatorCache,
  s: OhlcvSeries,
  src: PriceField,
  p1: number,
  p2: number,
): [Float64Array, Float64Array] {
  const k1 = `sma:${src}:${p1}`;
  const k2 = `sma:${src}:${p2}`;
  if (p1 !== p2 && !c.has(k1) && !c.has(k2)) {
    const values = priceArray(s, src);
    c.putPair(k1, k2, (o1, o2) => smaPair(values, p1, p2, o1, o2));
  }
  return [cachedSma(c, s, src, p1), cachedSma(c, s, src, p2)];
}

/** Cached EMA of a price field. */
export function cachedEma(c: IndicatorCache, s: OhlcvSeries, src: PriceField, p: number): Float64Array {
  return c.get(`ema:${src}:${p}`, (out) => ema(priceArray(s, src), p, out));
}

/** Cached RSI of a price field. */
export function cachedRsi(c: IndicatorCache, s: OhlcvSeries, src: PriceField, p: number): Float64Array {
  return c.get(`rsi:${src}:${p}`, (out) => rsi(priceArray(s, src), p, out));
}

/** Cached ATR. */
export function cachedAtr(c: IndicatorCache, s: OhlcvSeries, p: number): Float64Array {
  return c.get(`atr:${p}`, (out) => atr(s.high, s.low, s.close, p, out));
}

/** Cached Bollinger band (`upper`, `middle` or `lower`). */
export function cachedBollinger(
  c: IndicatorCache,
  s: OhlcvSeries,
  src: PriceField,
  p: number,
  k: number,
  band: 'upper' | 'middle' | 'lower',
): Float64Array {
  const key = `bb:${src}:${p}:${k}`;
  if (band === 'middle') return cachedSma(c, s, src, p);
  return c.get(`${key}:${band}`, () => {
    const b = bollinger(priceArray(s, src), p, k);
    const other = band === 'upper' ? 'lower' : 'upper';
    c.get(`${key}:${other}`, () => b[other]);
    return b[band];
  });
}

/** Cached MACD line or signal line. */
export function cachedMacd(
  c: IndicatorCache,
  s: OhlcvSeries,
  src: PriceField,
  fast: number,
  slow: number,
  signal: number,
  line: 'macd' | 'signal' | 'histogram',
): Float64Array {
  const key = `macd:${src}:${fast}:${slow}:${signal}`;
  return c.get(`${key}:${line}`, () => {
    const m = macd(priceArray(s, src), fast, slow, signal);
    if (line !== 'macd') c.get(`${key}:macd`, () => m.macd);
    if (line !== 'signal') c.get(`${key}:signal`, () => m.signal);
    if (line !== 'histogram') c.get(`${key}:histogram`, () => m.histogram);
    return m[line];
  });
}

/** Cached highest/lowest of a price field over `p` bars. */
export function cachedExtreme(
  c: IndicatorCache,
  s: OhlcvSeries,
  src: PriceField,
  p: number,
  kind: 'highest' | 'lowest',
): Float64Array {
  return c.get(`${kind}:${src}:${p}`, () => (kind === 'highest' ? highest : lowest)(priceArray(s, src), p));
}

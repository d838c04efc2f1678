import type { OhlcvSeries } from '../../data/bars';
import { highest, lowest } from '../../indicators/extremes';
import { rollingStd, zScore } from '../../indicators/rolling-std';
import { stochastic } from '../../indicators/stochastic';
import { vwap } from '../../indicators/vwap';
import { wma } from '../../indicators/wma';
import { cachedAtr, cachedBollinger, cachedEma, cachedMacd, cachedRsi, cachedSma } from '../cached';
import { IndicatorCache } from '../indicator-cache';
import { signalArray, warmupOf } from '../signals';
import { priceArray } from '../sources';
import { type CompiledStrategy, Signal } from '../types';
import type { IndicatorExpr, RuleComparison, RuleCondition, RuleExpr, RuleSet } from './schema';

/**
 * Compiles a validated rule set once into per-bar arrays: each distinct expression
 * becomes one Float64Array (shared through the cache), each condition one Uint8Array,
 * and the four conditions one signals array. No code is generated or evaluated.
 */
export function compileRules(
  series: OhlcvSeries,
  rules: RuleSet,
  cache = new IndicatorCache(series),
  out?: Uint8Array,
): CompiledStrategy {
  const n = series.close.length;
  const used: Float64Array[] = [];
  const value = (e: RuleExpr): Float64Array => {
    if (typeof e === 'number' || 'const' in e) {
      const v = typeof e === 'number' ? e : e.const;
      return cache.get(`const:${v}`, () => new Float64Array(n).fill(v));
    }
    const base = 'price' in e ? priceArray(series, e.price) : indicator(series, e, cache);
    const arr = e.shift > 0 ? cache.get(`${exprKey(e)}`, () => shifted(base, e.shift)) : base;
    used.push(arr);
    return arr;
  };
  const cond = (c: RuleCondition): Uint8Array => {
    if ('all' in c || 'any' in c) {
      const isAll = 'all' in c;
      const kids = isAll ? c.all : c.any;
      const acc = cond(kids[0]!);
      for (let k = 1; k < kids.length; k++) {
        const b = cond(kids[k]!);
        if (isAll) for (let i = 0; i < n; i++) acc[i] = acc[i]! & b[i]!;
        else for (let i = 0; i < n; i++) acc[i] = acc[i]! | b[i]!;
      }
      return acc;
    }
    return compare(c, value(c.left), value(c.right), n);
  };

  const s = signalArray(n, out);
  const apply = (c: RuleCondition | undefined, flag: number): void => {
    if (!c) return;
    const m = cond(c);
    for (let i = 0; i < n; i++) if (m[i]) s[i] = s[i]! | flag;
  };
  apply(rules.long?.entry, Signal.ENTER_LONG);
  apply(rules.long?.exit, Signal.EXIT_LONG);
  apply(rules.short?.entry, Signal.ENTER_SHORT);
  apply(rules.short?.exit, Signal.EXIT_SHORT);
  return { warmup: warmupOf(...used), signals: s };
}

function compare(c: RuleComparison, a: Float64Array, b: Float64Array, n: number): Uint8Array {
  const m = new Uint8Array(n);
  switch (c.op) {
    case '>':
      for (let i = 0; i < n; i++) m[i] = a[i]! > b[i]! ? 1 : 0;
      break;
    case '<':
      for (let i = 0; i < n; i++) m[i] = a[i]! < b[i]! ? 1 : 0;
      break;
    case '>=':
      for (let i = 0; i < n; i++) m[i] = a[i]! >= b[i]! ? 1 : 0;
      break;
    case '<=':
      for (let i = 0; i < n; i++) m[i] = a[i]! <= b[i]! ? 1 : 0;
      break;
    case 'crossesAbove':
      for (let i = 1; i < n; i++) m[i] = a[i - 1]! < b[i - 1]! && a[i]! > b[i]! ? 1 : 0;
      break;
    case 'crossesBelow':
      for (let i = 1; i < n; i++) m[i] = a[i - 1]! > b[i - 1]! && a[i]! < b[i]! ? 1 : 0;
      break;
  }
  return m;
}

/** Canonical cache key of an expression (property order independent). */
function exprKey(e: Exclude<RuleExpr, number | { const: number }>): string {
  const entries = Object.entries(e).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `rule:${entries.map(([k, v]) => `${k}=${String(v)}`).join(',')}`;
}

function shifted(a: Float64Array, k: number): Float64Array {
  const out = new Float64Array(a.length).fill(Number.NaN);
  out.set(a.subarray(0, Math.max(0, a.length - k)), k);
  return out;
}

function indicator(series: OhlcvSeries, e: IndicatorExpr, cache: IndicatorCache): Float64Array {
  switch (e.indicator) {
    case 'sma':
      return cachedSma(cache, series, e.source, e.period);
    case 'ema':
      return cachedEma(cache, series, e.source, e.period);
    case 'rsi':
      return cachedRsi(cache, series, e.source, e.period);
    case 'wma':
      return cache.get(`wma:${e.source}:${e.period}`, () => wma(priceArray(series, e.source), e.period));
    case 'highest':
      return cache.get(`highest:${e.source}:${e.period}`, () =>
        highest(priceArray(series, e.source), e.period),
      );
    case 'lowest':
      return cache.get(`lowest:${e.source}:${e.period}`, () =>
        lowest(priceArray(series, e.source), e.period),
      );
    case 'std':
      return cache.get(`std:${e.source}:${e.period}`, () =>
        rollingStd(priceArray(series, e.source), e.period),
      );
    case 'zscore':
      return cache.get(`zscore:${e.source}:${e.period}`, () =>
        zScore(priceArray(series, e.source), e.period),
      );
    case 'atr':
      return cachedAtr(cache, series, e.period);
    case 'vwap':
      return cache.get(`vwap:${e.period ?? 'all'}`, () =>
        vwap(series.high, series.low, series.close, series.volume, e.period),
      );
    case 'bollinger':
      return cachedBollinger(cache, series, e.source, e.period, e.stdDev, e.band);
    case 'macd':
      return cachedMacd(cache, series, e.source, e.fast, e.slow, e.signal, e.line);
    case 'stochastic':
      return cache.get(`stoch:${e.period}:${e.signalPeriod}:${e.line}`, () => {
        const st = stochastic(series.high, series.low, series.close, e.period, e.signalPeriod);
        return e.line === 'k' ? st.k : st.d;
      });
  }
}

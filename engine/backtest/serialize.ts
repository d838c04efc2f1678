import { isoTime } from '../stats/periods';
import type { BacktestStats } from '../stats/types';
import type { BacktestResult, ClosedTrade, OpenTrade } from './types';

/** A JSON value of a statistic: NaN and ±Infinity become null, as in the reference files. */
export type JsonStat = string | number | null;

/** Statistics with non-finite numbers replaced by null, keys in library order. */
export function statsToJson(stats: BacktestStats): Record<string, JsonStat> {
  const out: Record<string, JsonStat> = {};
  for (const [k, v] of Object.entries(stats)) {
    out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : (v as JsonStat);
  }
  return out;
}

/** A closed trade with ISO times, as the reference files write it. */
export function tradeToJson(
  t: ClosedTrade,
): Omit<ClosedTrade, 'entryTime' | 'exitTime'> & { entryTime: string; exitTime: string } {
  return { ...t, entryTime: isoTime(t.entryTime), exitTime: isoTime(t.exitTime) };
}

/** An open trade with ISO entry time. */
export function openTradeToJson(t: OpenTrade): Omit<OpenTrade, 'entryTime'> & { entryTime: string } {
  return { ...t, entryTime: isoTime(t.entryTime) };
}

/**
 * A JSON-safe view of a result: stats with nulls, trades with ISO times, equity and
 * drawdown as plain arrays (downsample first for charts: `downsampleEquity`).
 */
export function resultToJson(r: BacktestResult) {
  return {
    engineVersion: r.engineVersion,
    stats: statsToJson(r.stats),
    trades: r.trades.map(tradeToJson),
    openTrades: r.openTrades.map(openTradeToJson),
    warmup: r.warmup,
  };
}

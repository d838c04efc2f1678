import type { OhlcvSeries } from '../data/bars';
import { CHUNK } from '../jit/chunk';
import { Signal } from '../strategies/types';
import { Broker, type BrokerConfig, type Trade } from './broker';
import type { TradeLog } from './trade-log';

/** backtesting.py's default order size: `1 - 2**-52` of available margin, in whole units. */
export const FULL_EQUITY = 1 - 2 ** -52;

/** How entries are placed. */
export interface EntrySettings {
  /**
   * Order size: a fraction of available margin in (0, 1), sized in whole units at fill
   * time, or a whole number of units ≥ 1.
   */
  size: number;
  /** Stop-loss distance as a fraction of the reference price (NaN: none). */
  stopLoss: number;
  /** Take-profit distance as a fraction of the reference price (NaN: none). */
  takeProfit: number;
  /** 0 market, 1 limit, 2 stop. */
  orderType: 0 | 1 | 2;
  /** Limit/stop distance from the signal bar's close, as a fraction. */
  orderOffset: number;
}

/** Everything {@link simulate} needs. */
export interface SimulationInput {
  series: OhlcvSeries;
  signals: Uint8Array;
  warmup: number;
  broker: BrokerConfig;
  entry: EntrySettings;
  finalizeTrades: boolean;
  /** Receives equity per bar; allocated when absent. */
  equityOut?: Float64Array;
  onProgress?: (barsDone: number, totalBars: number) => void;
  progressEvery?: number;
}

/** What a simulation leaves behind. */
export interface SimulationResult {
  equity: Float64Array;
  closed: TradeLog;
  open: Trade[];
  /** Bar at which equity ran out, or -1. */
  ruinedAt: number;
  /** First bar the strategy ran on. */
  start: number;
}

/**
 * The bar loop of backtesting.py's `Backtest.run`: for each bar from warm-up + 1, fill
 * queued orders, record equity, then act on the bar's signal. Finalize-trades closes
 * what is still open in one more fill step on the last bar.
 */
export function simulate(input: SimulationInput): SimulationResult {
  const { series, signals, warmup, entry } = input;
  const n = series.close.length;
  const equity = input.equityOut ?? new Float64Array(n);
  if (equity.length !== n) throw new RangeError(`equityOut has length ${equity.length}, expected ${n}`);
  const start = warmup + 1;
  // The trade log starts with a row per 16 bars (at most 65,536 rows, 5 MB): growing it
  // by doubling copies every column into fresh memory each time, while reserved rows
  // that are never written cost no page faults.
  const broker = new Broker(input.broker, series, Math.min(1 << 16, n >> 4));
  let ruinedAt = -1;

  const every = input.onProgress ? Math.max(1, Math.floor(input.progressEvery ?? 65_536)) : n;
  let i = start;
  while (i < n && ruinedAt < 0) {
    const chunkEnd = Math.min(n, i + every);
    // Bars in kernel-sized calls (see CHUNK): one call over a million bars would run in
    // on-stack-replaced code that boxes a number per bar.
    while (i < chunkEnd && ruinedAt < 0) {
      const to = Math.min(chunkEnd, i + CHUNK);
      ruinedAt = runBars(broker, signals, entry, series.close, equity, i, to);
      i = to;
    }
    if (ruinedAt < 0) input.onProgress?.(i, n);
  }

  if (ruinedAt < 0 && input.finalizeTrades) {
    for (let k = broker.trades.length - 1; k >= 0; k--) broker.closeTradeOrder(broker.trades[k]!);
    if (start < n) {
      const last = n - 1;
      broker.processOrders(last);
      const eq = broker.equityAt(last);
      equity[last] = eq;
      if (eq <= 0) {
        broker.liquidate(last);
        equity[last] = 0;
        ruinedAt = last;
      }
    }
  }

  // Bars before the first strategy bar take the first recorded equity (the library
  // back-fills); with no recorded bar at all, the starting cash.
  const fill = start < n ? equity[start]! : input.broker.cash;
  equity.fill(fill, 0, Math.min(start, n));
  if (input.onProgress && start >= n) input.onProgress(n, n);
  return { equity, closed: broker.closed, open: broker.trades, ruinedAt, start };
}

/**
 * Bars [from, to): fill queued orders, record equity, act on the bar's signal. Returns
 * the bar at which equity ran out (equity zeroed from there on), or -1.
 */
function runBars(
  broker: Broker,
  signals: Uint8Array,
  entry: EntrySettings,
  close: Float64Array,
  equity: Float64Array,
  from: number,
  to: number,
): number {
  for (let i = from; i < to; i++) {
    if (broker.orders.length !== 0) broker.processOrders(i);
    const eq = broker.equityAt(i);
    equity[i] = eq;
    if (eq <= 0) {
      broker.liquidate(i);
      equity.fill(0, i);
      return i;
    }
    const f = signals[i]!;
    if (f !== 0) act(broker, entry, f, close[i]!);
  }
  return -1;
}

/** The strategy's move at a bar's close: exits, then an entry (closing what it reverses). */
function act(broker: Broker, entry: EntrySettings, f: number, ref: number): void {
  const pos = broker.positionSize();
  let closed = false;
  if ((f & Signal.EXIT_LONG && pos > 0) || (f & Signal.EXIT_SHORT && pos < 0)) {
    broker.cancelEntryOrders();
    broker.closePosition();
    closed = true;
  }
  let dir = 0;
  if (f & Signal.ENTER_LONG && (f & Signal.REVERSE || pos <= 0)) dir = 1;
  else if (f & Signal.ENTER_SHORT && (f & Signal.REVERSE || pos >= 0)) dir = -1;
  if (dir === 0) return;
  broker.cancelEntryOrders();
  if (!closed) broker.closePosition();
  placeEntry(broker, entry, dir, ref);
}

function placeEntry(broker: Broker, e: EntrySettings, dir: number, ref: number): void {
  let limit = Number.NaN;
  let stop = Number.NaN;
  let base = ref;
  if (e.orderType === 1) base = limit = ref * (1 - dir * e.orderOffset);
  else if (e.orderType === 2) base = stop = ref * (1 + dir * e.orderOffset);
  const sl = !Number.isNaN(e.stopLoss) ? base * (1 - dir * e.stopLoss) : Number.NaN;
  const tp = !Number.isNaN(e.takeProfit) ? base * (1 + dir * e.takeProfit) : Number.NaN;
  broker.newOrder(dir * e.size, limit, stop, sl, tp);
}

import type { OhlcvSeries } from '../data/bars';
import type { BacktestStats } from '../stats/types';
import type { CompiledStrategy, Targets } from '../strategies/types';
import type { BacktestOptionsInput, StrategySpec } from './contracts';

/** A closed trade, as backtesting.py's `stats._trades` row. Times are epoch ms. */
export interface ClosedTrade {
  /** Units, negative for a short. */
  size: number;
  entryBar: number;
  exitBar: number;
  entryPrice: number;
  exitPrice: number;
  /** Net of both commissions. */
  pnl: number;
  /** Entry plus exit commission. */
  commission: number;
  /** Fraction (0.05 = 5 %), net of both commissions. */
  returnPct: number;
  entryTime: number;
  exitTime: number;
  /** Stop-loss and take-profit prices, null when none. */
  sl: number | null;
  tp: number | null;
}

/** A trade still open after the last bar, marked to the last close. */
export interface OpenTrade {
  size: number;
  entryBar: number;
  entryPrice: number;
  /** Profit at the last close (no exit commission yet). */
  pnl: number;
  /** 0 until the trade closes (the library's `Trade._commissions`). */
  commission: number;
  returnPct: number;
  entryTime: number;
  markPrice: number;
  /** Entry commission already debited from cash (and so in equity). */
  entryCommissionCharged: number;
  sl: number | null;
  tp: number | null;
}

/** Strategy of a run: a spec from JSON, targets from an agent, or an already compiled one. */
export type RunStrategy =
  | StrategySpec
  | { targets: Targets; warmup?: number }
  | { compiled: CompiledStrategy };

/** Input of `runBacktest`: the JSON options plus the series and in-process extras. */
export interface RunBacktestInput extends Omit<BacktestOptionsInput, 'strategy'> {
  series: OhlcvSeries;
  strategy: RunStrategy | BacktestOptionsInput['strategy'];
  /** Called every `progressEvery` bars (default 65 536) with bars done and total. */
  onProgress?: (barsDone: number, totalBars: number) => void;
  progressEvery?: number;
  /** Reused output arrays (length = series length), to avoid allocation in loops. */
  equityOut?: Float64Array;
  drawdownOut?: Float64Array;
}

/** Result of one backtest. */
export interface BacktestResult {
  engineVersion: string;
  stats: BacktestStats;
  trades: ClosedTrade[];
  openTrades: OpenTrade[];
  /** Equity per bar. */
  equity: Float64Array;
  /** Drawdown per bar, a fraction: 1 − equity / running max. */
  drawdown: Float64Array;
  /** Warm-up bar of the strategy (see `CompiledStrategy.warmup`). */
  warmup: number;
}

import type { z } from 'zod';
import type { OhlcvSeries } from '../data/bars';
import type { IndicatorCache } from './indicator-cache';

/**
 * Desired position per bar, decided at that bar's close: -1 short, 0 flat, 1 long.
 * Prediction agents emit these walk-forward; run them with `fromTargets`.
 */
export type Targets = Int8Array;

/**
 * Per-bar signal flags, combined with bitwise or. The simulator reads them at each bar's
 * close, after that bar's fills, against the position held at that moment.
 */
export const Signal = {
  /** Go long unless already long: close any short, then buy. */
  ENTER_LONG: 1,
  /** Go short unless already short: close any long, then sell. */
  ENTER_SHORT: 2,
  /** Close a long position. */
  EXIT_LONG: 4,
  /** Close a short position. */
  EXIT_SHORT: 8,
  /**
   * With ENTER_*: close whatever is open and enter even when already in that direction
   * (backtesting.py's `position.close(); buy()` idiom, as in its SmaCross example).
   */
  REVERSE: 16,
} as const;

/** A strategy compiled for one series: what the simulator runs. */
export interface CompiledStrategy {
  /**
   * First bar at which every indicator has a value (backtesting.py's warm-up); the
   * strategy first acts at `warmup + 1`, and Buy & Hold is measured from `warmup`.
   */
  readonly warmup: number;
  /** {@link Signal} flags per bar, one per bar of the series. */
  readonly signals: Uint8Array;
}

/** A named, parameterised built-in strategy. */
export interface StrategyDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  /** zod schema of the parameters, with defaults: a strict object (an unknown parameter is an error). */
  readonly params: S;
  /**
   * Compiles validated parameters against a series. Indicators come from `cache`, so a
   * sweep computes each distinct indicator once; `signals` may be reused as output.
   */
  compile(
    series: OhlcvSeries,
    params: z.output<S>,
    cache: IndicatorCache,
    signals?: Uint8Array,
  ): CompiledStrategy;
}

/**
 * The statistics of a run under backtesting.py's names, in its order. Percent-named
 * values are percentages; durations are in days (fractional below a day); NaN where the
 * library gives NaN (no trades, no drawdown…), which JSON carries as null.
 * `Commissions [$]` is present only when commissions were paid, as in the library.
 */
export interface BacktestStats {
  Start: string;
  End: string;
  Duration: number;
  'Exposure Time [%]': number;
  'Equity Final [$]': number;
  'Equity Peak [$]': number;
  'Commissions [$]'?: number;
  'Return [%]': number;
  'Buy & Hold Return [%]': number;
  'Return (Ann.) [%]': number;
  'Volatility (Ann.) [%]': number;
  'CAGR [%]': number;
  'Sharpe Ratio': number;
  'Sortino Ratio': number;
  'Calmar Ratio': number;
  'Alpha [%]': number;
  Beta: number;
  'Max. Drawdown [%]': number;
  'Avg. Drawdown [%]': number;
  'Max. Drawdown Duration': number;
  'Avg. Drawdown Duration': number;
  '# Trades': number;
  'Win Rate [%]': number;
  'Best Trade [%]': number;
  'Worst Trade [%]': number;
  'Avg. Trade [%]': number;
  'Max. Trade Duration': number;
  'Avg. Trade Duration': number;
  'Profit Factor': number;
  'Expectancy [%]': number;
  SQN: number;
  'Kelly Criterion': number;
}

/** Every statistic name, in output order. */
export const STAT_KEYS = [
  'Start',
  'End',
  'Duration',
  'Exposure Time [%]',
  'Equity Final [$]',
  'Equity Peak [$]',
  'Commissions [$]',
  'Return [%]',
  'Buy & Hold Return [%]',
  'Return (Ann.) [%]',
  'Volatility (Ann.) [%]',
  'CAGR [%]',
  'Sharpe Ratio',
  'Sortino Ratio',
  'Calmar Ratio',
  'Alpha [%]',
  'Beta',
  'Max. Drawdown [%]',
  'Avg. Drawdown [%]',
  'Max. Drawdown Duration',
  'Avg. Drawdown Duration',
  '# Trades',
  'Win Rate [%]',
  'Best Trade [%]',
  'Worst Trade [%]',
  'Avg. Trade [%]',
  'Max. Trade Duration',
  'Avg. Trade Duration',
  'Profit Factor',
  'Expectancy [%]',
  'SQN',
  'Kelly Criterion',
] as const satisfies readonly (keyof BacktestStats)[];

/** A statistic's name. */
export type StatKey = (typeof STAT_KEYS)[number];

/** Numeric statistics (everything except Start and End), e.g. to rank a sweep by. */
export type NumericStatKey = Exclude<StatKey, 'Start' | 'End'>;

/** Statistics whose value is a duration in days. */
export const DURATION_KEYS: ReadonlySet<StatKey> = new Set([
  'Duration',
  'Max. Drawdown Duration',
  'Avg. Drawdown Duration',
  'Max. Trade Duration',
  'Avg. Trade Duration',
]);

/** What the statistics need of the closed trades: one typed column per field, `count` rows. */
export interface TradeColumns {
  readonly count: number;
  readonly entryBar: Float64Array;
  readonly exitBar: Float64Array;
  /** Net of both commissions. */
  readonly pnl: Float64Array;
  /** Fraction, net of both commissions. */
  readonly returnPct: Float64Array;
  readonly commission: Float64Array;
}

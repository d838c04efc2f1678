export { mulberry32 } from '../random';
export { Broker, type BrokerConfig, Order, pyFloorDiv, Trade } from './broker';
export {
  BacktestOptions,
  type BacktestOptionsInput,
  Commission,
  EntryOrder,
  ExecutionOptions,
  MAX_SWEEP_COMBINATIONS,
  NamedStrategy,
  OrderSize,
  RankableStat,
  StrategySpec,
  SweepOptions,
  type SweepOptionsInput,
} from './contracts';
export { type DownsampledCurve, downsampleEquity } from './downsample';
export { BacktestInputError, type BacktestIssue } from './errors';
export { type RandomWalkOptions, randomWalkSeries } from './random-walk';
export { closedTrades, compileStrategy, runBacktest } from './run-backtest';
export { type JsonStat, openTradeToJson, resultToJson, statsToJson, tradeToJson } from './serialize';
export { FULL_EQUITY, type SimulationInput, type SimulationResult, simulate } from './simulate';
export {
  cartesian,
  type ParamGrid,
  runSweep,
  type SweepResult,
  type SweepRow,
  type SweepRunOptions,
} from './sweep';
export { TradeLog } from './trade-log';
export type { BacktestResult, ClosedTrade, OpenTrade, RunBacktestInput, RunStrategy } from './types';
export { ENGINE_VERSION } from './version';

export { type ComputeStatsInput, computeStats } from './compute-stats';
export { type StatsContext, statsContext } from './context';
export { ceilDuration, DAY_MS, dataPeriodMs, isoTime, resolutionMs } from './periods';
export {
  type BacktestStats,
  DURATION_KEYS,
  type NumericStatKey,
  STAT_KEYS,
  type StatKey,
  type TradeColumns,
} from './types';

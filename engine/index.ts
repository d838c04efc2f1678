/**
 * The backtest engine: indicators, strategies, the simulator and its statistics, the
 * CSV parser. Pure TypeScript over typed arrays; no platform APIs.
 */
export * from './backtest/index';
export { type CsvError, type CsvParseResult, parseOhlcvCsv } from './data/csv';
export * from './indicators/index';
export * from './stats/index';
export * from './strategies/index';

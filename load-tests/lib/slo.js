/**
 * The service level objectives, shared by the k6 scripts and the Node harness so that both
 * measure against the same numbers (ops/alerts.yml encodes the same thresholds for production).
 * Latencies in milliseconds, error budgets as fractions.
 */
export const SLO = {
  predictionsP95Ms: 200,
  backtestsP95Ms: 1000,
  /** Market data reads (symbols, quotes, bars) are cache-backed; our own target, not a contract. */
  marketDataP95Ms: 200,
  wsDeliveryP95Ms: 50,
  /** Stream sockets refused or failed, of those attempted. */
  wsErrorRate: 0.01,
  /** Errors (5xx, timeouts) on critical operations: predictions and backtests. */
  criticalErrorRate: 0.001,
  /** Under 20 % injected D1 failures reads must still answer: no 5xx at all. */
  chaosServerErrorRate: 0,
};

/** Symbols of the seeded demo market used by the REST scenarios. */
export const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'BTC-USD', 'ETH-USD'];

/** Every symbol the built-in simulator trades (engine/market/catalog.ts): the stream scenarios' symbols. */
export const STREAM_SYMBOLS = [
  'AAPL',
  'MSFT',
  'NVDA',
  'TSLA',
  'SPY',
  'BRK.B',
  'BTC-USD',
  'ETH-USD',
  'SOL-USD',
  'DOGE-USD',
  'EURUSD',
];

/** An inline-sized backtest: the built-in SMA crossover over stored daily bars. */
export const BACKTEST_BODY = {
  strategy: { name: 'sma-cross', params: { fast: 10, slow: 30 } },
  data: { symbol: 'AAPL', timeframe: '1d' },
};

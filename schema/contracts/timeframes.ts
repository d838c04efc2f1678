/**
 * The bar timeframes and their lengths: one table for the API, the engine's aggregation, the
 * backtest loaders and the dashboard. Plain data (no zod, no Hono): the browser bundle imports it.
 */
export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

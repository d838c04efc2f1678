/**
 * Version of the engine's semantics. Part of every cache key of backtest results: bump
 * it whenever a change can alter any result (fills, sizing, statistics, indicators).
 */
export const ENGINE_VERSION = 'skippy-engine/1.0.0+bt0.6.6';

import type { TickBounds } from '../../engine/market/tick-bounds';
import { config } from '../../platform/config';

/** A room's bounds, apart from its clock and reference price. */
export type IngestLimits = Omit<TickBounds, 'now' | 'reference'>;

/**
 * The ingest bounds of the configuration (platform/config.ts; docs/market-data.md, "Ingest
 * bounds") with `symbol`'s band override applied. A malformed value throws `ConfigError`.
 */
export function ingestLimits(env: object, symbol: string): IngestLimits {
  const cfg = config(env);
  return {
    maxLatenessMs: cfg.INGEST_MAX_LATENESS_MS,
    maxClockSkewMs: cfg.INGEST_MAX_CLOCK_SKEW_MS,
    bandPct: cfg.INGEST_PRICE_BANDS[symbol] ?? cfg.INGEST_PRICE_BAND_PCT,
  };
}

import { z } from 'zod';
import type { TickBounds } from '../../engine/market/tick-bounds';

/**
 * The ingest bounds of `wrangler.toml` [vars], declared once with their defaults
 * (docs/market-data.md, "Ingest bounds"). Strings because that is how vars arrive.
 */
const IngestBoundsVars = z.object({
  INGEST_MAX_LATENESS_MS: z.coerce.number().int().min(1_000).max(3_600_000).catch(60_000),
  INGEST_MAX_CLOCK_SKEW_MS: z.coerce.number().int().min(0).max(600_000).catch(5_000),
  INGEST_PRICE_BAND_PCT: z.coerce.number().positive().max(10_000).catch(10),
  /** JSON object of per-symbol band overrides in percent, e.g. `{"DOGE-USD": 25}`; empty for none. */
  INGEST_PRICE_BANDS: z
    .string()
    .transform((s, ctx) => {
      if (s.trim() === '') return {};
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.number().positive().max(10_000)))
    .catch({}),
});

/** A room's bounds, apart from its clock and reference price. */
export type IngestLimits = Omit<TickBounds, 'now' | 'reference'>;

/** Parses the vars (an invalid value falls back to its default) and picks `symbol`'s band. */
export function ingestLimits(
  env: Partial<
    Pick<
      Env,
      'INGEST_MAX_LATENESS_MS' | 'INGEST_MAX_CLOCK_SKEW_MS' | 'INGEST_PRICE_BAND_PCT' | 'INGEST_PRICE_BANDS'
    >
  >,
  symbol: string,
): IngestLimits {
  const v = IngestBoundsVars.parse({
    INGEST_MAX_LATENESS_MS: env.INGEST_MAX_LATENESS_MS,
    INGEST_MAX_CLOCK_SKEW_MS: env.INGEST_MAX_CLOCK_SKEW_MS,
    INGEST_PRICE_BAND_PCT: env.INGEST_PRICE_BAND_PCT,
    INGEST_PRICE_BANDS: env.INGEST_PRICE_BANDS ?? '',
  });
  return {
    maxLatenessMs: v.INGEST_MAX_LATENESS_MS,
    maxClockSkewMs: v.INGEST_MAX_CLOCK_SKEW_MS,
    bandPct: v.INGEST_PRICE_BANDS[symbol] ?? v.INGEST_PRICE_BAND_PCT,
  };
}

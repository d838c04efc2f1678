/** Horizons the API accepts, in milliseconds. */
export const API_HORIZON_MS = { '1h': 3_600_000, '1d': 86_400_000 } as const;

/** An API horizon name. */
export type ApiHorizon = keyof typeof API_HORIZON_MS;

/**
 * Horizon in bars for an API horizon and a bar length: 1h on minute bars is 60, on hourly bars 1;
 * 1d on daily bars is 1. Never less than one bar (1d on monthly bars is one monthly bar).
 */
export function horizonBars(horizon: ApiHorizon, barMs: number): number {
  if (!(barMs > 0)) throw new RangeError(`bar length must be positive, got ${barMs}`);
  return Math.max(1, Math.round(API_HORIZON_MS[horizon] / barMs));
}

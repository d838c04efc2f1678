import { nextSessionBar, sessionBarClosingAfter } from '../../engine/market/calendar';
import { instrument } from '../../engine/market/catalog';
import type { PredictionHorizon } from '../../schema/contracts/predictions';
import { FLUSH_GRACE_MS, HORIZON_SPEC } from './prediction-series';

/** Symbols outside the catalogue are taken as 24/7: their bars close soonest, so they expire early rather than late. */
const ALWAYS_OPEN = { session: '24x7' } as const;

/**
 * When a prediction read through the bar opened at `asOfBar` is superseded: the close of the next
 * bar in the symbol's session calendar (Friday's daily bar → Monday's session close for an
 * equity; the next bar for crypto). Never at or before `now`: once that session has closed, the
 * successor prediction appears when its bar counts as closed on the UTC grid (plus the flush
 * grace), and if even that has passed (the data lags) the next session close after `now` applies.
 */
export function predictionExpiry(
  symbol: string,
  horizon: PredictionHorizon,
  asOfBar: number,
  now: number,
): number {
  const calendar = instrument(symbol) ?? ALWAYS_OPEN;
  const next = nextSessionBar(calendar, horizon, asOfBar);
  if (next.close > now) return next.close;
  const successorReady = next.open + HORIZON_SPEC[horizon].barMs + FLUSH_GRACE_MS;
  if (successorReady > now) return successorReady;
  return sessionBarClosingAfter(calendar, horizon, now).close;
}

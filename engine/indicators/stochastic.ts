import { highest, lowest } from './extremes';
import { checkPeriod, outputArray } from './output';
import { sma } from './sma';

/** Stochastic oscillator lines. */
export interface StochasticResult {
  k: Float64Array;
  d: Float64Array;
}

/**
 * Stochastic oscillator: %K = 100 × (close − lowest low) / (highest high − lowest low)
 * over `period` bars (first at `period − 1`), %D = SMA(`signalPeriod`) of %K.
 * A flat window (high = low) gives %K = 0, as `technicalindicators`.
 */
export function stochastic(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period = 14,
  signalPeriod = 3,
  out?: Partial<StochasticResult>,
): StochasticResult {
  checkPeriod(period);
  checkPeriod(signalPeriod, 'signalPeriod');
  const n = close.length;
  const hh = highest(high, period);
  const k = lowest(low, period, outputArray(n, out?.k));
  for (let i = 0; i < n; i++) {
    const ll = k[i]!;
    const range = hh[i]! - ll;
    k[i] = Number.isNaN(ll) ? Number.NaN : range === 0 ? 0 : ((close[i]! - ll) / range) * 100;
  }
  const d = sma(k, signalPeriod, outputArray(n, out?.d));
  return { k, d };
}

import { ema } from './ema';
import { checkPeriod, outputArray } from './output';

/** MACD line, its signal line and the histogram (line − signal). */
export interface MacdResult {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/**
 * MACD = EMA(fast) − EMA(slow), signal = EMA(signal) of the MACD line (both EMAs seeded
 * with a simple average, as {@link ema}). The line starts at `slow − 1`, the signal and
 * histogram at `slow + signal − 2`.
 */
export function macd(
  values: Float64Array,
  fast = 12,
  slow = 26,
  signal = 9,
  out?: Partial<MacdResult>,
): MacdResult {
  checkPeriod(fast, 'fast');
  checkPeriod(slow, 'slow');
  checkPeriod(signal, 'signal');
  const n = values.length;
  const line = ema(values, fast, outputArray(n, out?.macd));
  const slowEma = ema(values, slow);
  for (let i = 0; i < n; i++) line[i] = i < slow - 1 ? Number.NaN : line[i]! - slowEma[i]!;
  const sig = ema(line, signal, outputArray(n, out?.signal));
  const hist = outputArray(n, out?.histogram);
  for (let i = 0; i < n; i++) hist[i] = line[i]! - sig[i]!;
  return { macd: line, signal: sig, histogram: hist };
}

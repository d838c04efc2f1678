import { z } from 'zod';
import { cachedBollinger } from './cached';
import { signalArray, warmupOf } from './signals';
import { Signal, type StrategyDefinition } from './types';

const Params = z.strictObject({
  period: z.number().int().min(2).max(1000).default(20),
  stdDev: z.number().gt(0).max(10).default(2),
  allowShort: z.boolean().default(true),
});

/**
 * Bollinger breakout: Close crossing above the upper band goes long, crossing below the
 * lower band goes short; a long exits when Close crosses below the middle band, a short
 * when it crosses above.
 */
export const bollingerBreakout: StrategyDefinition<typeof Params> = {
  name: 'bollinger-breakout',
  description: 'Close breaking out of the Bollinger bands (population deviation); exit at the middle band.',
  params: Params,
  compile(series, p, cache, out) {
    const upper = cachedBollinger(cache, series, 'close', p.period, p.stdDev, 'upper');
    const middle = cachedBollinger(cache, series, 'close', p.period, p.stdDev, 'middle');
    const lower = cachedBollinger(cache, series, 'close', p.period, p.stdDev, 'lower');
    const c = series.close;
    const n = c.length;
    const s = signalArray(n, out);
    for (let i = 1; i < n; i++) {
      const c0 = c[i - 1]!;
      const c1 = c[i]!;
      let f = 0;
      if (c0 < upper[i - 1]! && c1 > upper[i]!) f |= Signal.ENTER_LONG;
      else if (p.allowShort && c0 > lower[i - 1]! && c1 < lower[i]!) f |= Signal.ENTER_SHORT;
      if (c0 > middle[i - 1]! && c1 < middle[i]!) f |= Signal.EXIT_LONG;
      if (c0 < middle[i - 1]! && c1 > middle[i]!) f |= Signal.EXIT_SHORT;
      s[i] = f;
    }
    return { warmup: warmupOf(upper, middle, lower), signals: s };
  },
};

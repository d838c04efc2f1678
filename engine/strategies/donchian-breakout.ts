import { z } from 'zod';
import { cachedExtreme } from './cached';
import { signalArray, warmupOf } from './signals';
import { Signal, type StrategyDefinition } from './types';

const Params = z.strictObject({
  entryPeriod: z.number().int().min(2).max(1000).default(20),
  exitPeriod: z.number().int().min(1).max(1000).default(10),
  allowShort: z.boolean().default(true),
});

/**
 * Donchian channel breakout (turtle style): Close above the highest High of the previous
 * `entryPeriod` bars goes long, below the lowest Low goes short; a long exits below the
 * lowest Low of the previous `exitPeriod` bars, a short above the highest High.
 */
export const donchianBreakout: StrategyDefinition<typeof Params> = {
  name: 'donchian-breakout',
  description: 'Breakout of the previous N-bar high/low channel, exit on the shorter opposite channel.',
  params: Params,
  compile(series, p, cache, out) {
    const hiIn = cachedExtreme(cache, series, 'high', p.entryPeriod, 'highest');
    const loIn = cachedExtreme(cache, series, 'low', p.entryPeriod, 'lowest');
    const hiOut = cachedExtreme(cache, series, 'high', p.exitPeriod, 'highest');
    const loOut = cachedExtreme(cache, series, 'low', p.exitPeriod, 'lowest');
    const c = series.close;
    const n = c.length;
    const s = signalArray(n, out);
    for (let i = 1; i < n; i++) {
      const v = c[i]!;
      let f = 0;
      if (v > hiIn[i - 1]!) f |= Signal.ENTER_LONG;
      else if (p.allowShort && v < loIn[i - 1]!) f |= Signal.ENTER_SHORT;
      if (v < loOut[i - 1]!) f |= Signal.EXIT_LONG;
      if (v > hiOut[i - 1]!) f |= Signal.EXIT_SHORT;
      s[i] = f;
    }
    // Channels are read one bar back, so the first usable bar is one later.
    return { warmup: warmupOf(hiIn, loIn, hiOut, loOut) + 1, signals: s };
  },
};

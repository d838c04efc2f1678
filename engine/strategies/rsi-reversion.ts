import { z } from 'zod';
import { cachedRsi } from './cached';
import { signalArray, warmupOf } from './signals';
import { Signal, type StrategyDefinition } from './types';

const Params = z
  .strictObject({
    period: z.number().int().min(2).max(1000).default(14),
    oversold: z.number().min(0).max(100).default(30),
    overbought: z.number().min(0).max(100).default(70),
    exitLevel: z.number().min(0).max(100).default(50),
    allowShort: z.boolean().default(true),
  })
  .refine((p) => p.oversold < p.exitLevel && p.exitLevel < p.overbought, {
    message: 'need oversold < exitLevel < overbought',
    path: ['exitLevel'],
  });

/**
 * Mean reversion on RSI: buy when RSI is below `oversold`, exit the long above
 * `exitLevel`; short above `overbought`, cover below `exitLevel`.
 */
export const rsiReversion: StrategyDefinition<typeof Params> = {
  name: 'rsi-reversion',
  description: 'RSI mean reversion: long below oversold, short above overbought, exit at exitLevel.',
  params: Params,
  compile(series, p, cache, out) {
    const r = cachedRsi(cache, series, 'close', p.period);
    const n = r.length;
    const s = signalArray(n, out);
    for (let i = 0; i < n; i++) {
      const v = r[i]!;
      let f = 0;
      if (v < p.oversold) f |= Signal.ENTER_LONG;
      else if (v > p.overbought && p.allowShort) f |= Signal.ENTER_SHORT;
      if (v > p.exitLevel) f |= Signal.EXIT_LONG;
      if (v < p.exitLevel) f |= Signal.EXIT_SHORT;
      s[i] = f;
    }
    return { warmup: warmupOf(r), signals: s };
  },
};

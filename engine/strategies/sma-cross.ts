import { z } from 'zod';
import { cachedSmaPair } from './cached';
import { crossoverSignals, warmupOf } from './signals';
import type { StrategyDefinition } from './types';

const Params = z
  .strictObject({
    fast: z.number().int().min(1).max(1000).default(10),
    slow: z.number().int().min(2).max(5000).default(20),
    longOnly: z.boolean().default(false),
  })
  .refine((p) => p.fast < p.slow, { message: 'fast must be shorter than slow', path: ['fast'] });

/**
 * SMA crossover (backtesting.py's SmaCross): fast SMA of Close crossing above the slow
 * one closes any position and buys; crossing below closes and sells short (or only
 * exits with `longOnly`).
 */
export const smaCross: StrategyDefinition<typeof Params> = {
  name: 'sma-cross',
  description: 'Fast/slow simple moving average crossover of Close; always in the market unless longOnly.',
  params: Params,
  compile(series, p, cache, signals) {
    const [fast, slow] = cachedSmaPair(cache, series, 'close', p.fast, p.slow);
    return { warmup: warmupOf(fast, slow), signals: crossoverSignals(fast, slow, p.longOnly, signals) };
  },
};

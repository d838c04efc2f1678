import { z } from 'zod';
import { cachedEma } from './cached';
import { crossoverSignals, warmupOf } from './signals';
import type { StrategyDefinition } from './types';

const Params = z
  .strictObject({
    fast: z.number().int().min(1).max(1000).default(12),
    slow: z.number().int().min(2).max(5000).default(26),
    longOnly: z.boolean().default(false),
  })
  .refine((p) => p.fast < p.slow, { message: 'fast must be shorter than slow', path: ['fast'] });

/** EMA crossover of Close, reversing like `sma-cross`. */
export const emaCross: StrategyDefinition<typeof Params> = {
  name: 'ema-cross',
  description:
    'Fast/slow exponential moving average crossover of Close; always in the market unless longOnly.',
  params: Params,
  compile(series, p, cache, signals) {
    const fast = cachedEma(cache, series, 'close', p.fast);
    const slow = cachedEma(cache, series, 'close', p.slow);
    return { warmup: warmupOf(fast, slow), signals: crossoverSignals(fast, slow, p.longOnly, signals) };
  },
};

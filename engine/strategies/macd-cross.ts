import { z } from 'zod';
import { cachedMacd } from './cached';
import { crossoverSignals, warmupOf } from './signals';
import type { StrategyDefinition } from './types';

const Params = z
  .strictObject({
    fast: z.number().int().min(1).max(1000).default(12),
    slow: z.number().int().min(2).max(5000).default(26),
    signal: z.number().int().min(1).max(1000).default(9),
    longOnly: z.boolean().default(false),
  })
  .refine((p) => p.fast < p.slow, { message: 'fast must be shorter than slow', path: ['fast'] });

/** MACD line crossing its signal line: above → long, below → short (or flat). */
export const macdCross: StrategyDefinition<typeof Params> = {
  name: 'macd',
  description: 'MACD line crossing its signal line; always in the market unless longOnly.',
  params: Params,
  compile(series, p, cache, signals) {
    const line = cachedMacd(cache, series, 'close', p.fast, p.slow, p.signal, 'macd');
    const sig = cachedMacd(cache, series, 'close', p.fast, p.slow, p.signal, 'signal');
    return { warmup: warmupOf(line, sig), signals: crossoverSignals(line, sig, p.longOnly, signals) };
  },
};

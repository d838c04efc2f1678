import { z } from 'zod';
import { signalArray } from './signals';
import { Signal, type StrategyDefinition } from './types';

const Params = z.strictObject({});

/** Buys on the first strategy bar and holds (re-buying only if an order was cancelled). */
export const buyAndHold: StrategyDefinition<typeof Params> = {
  name: 'buy-and-hold',
  description: 'Buy on the first bar and hold to the end.',
  params: Params,
  compile(series, _p, _cache, out) {
    const s = signalArray(series.close.length, out);
    s.fill(Signal.ENTER_LONG);
    return { warmup: 0, signals: s };
  },
};

import { z } from 'zod';
import { minimumHistory } from '../agents/history';
import { predictionTargets } from '../agents/strategy';
import { fromTargets } from './targets';
import type { StrategyDefinition } from './types';

const Params = z.strictObject({
  horizon: z.number().int().min(1).max(60).default(1),
  retrainEvery: z.number().int().min(5).max(500).default(20),
  allowShort: z.boolean().default(true),
});

/**
 * The prediction agents' ensemble as a strategy: retrained walk-forward every `retrainEvery`
 * bars on bars up to the retrain bar only, it holds long on an 'up' call for the next
 * `horizon` bars, short on 'down' (flat with `allowShort: false`) and flat on 'flat'.
 * Warm-up is the first bar with a decision, minimumHistory(horizon) − 1.
 */
export const prediction: StrategyDefinition<typeof Params> = {
  name: 'prediction',
  description:
    'Ensemble of the prediction agents, retrained walk-forward; long when it predicts up, short (or flat with allowShort=false) when down.',
  params: Params,
  compile(series, p, _cache, signals) {
    const targets = predictionTargets(series, {
      horizon: p.horizon,
      retrainEvery: p.retrainEvery,
      allowShort: p.allowShort,
    });
    return fromTargets(targets, minimumHistory(p.horizon) - 1, signals);
  },
};

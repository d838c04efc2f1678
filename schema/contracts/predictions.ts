import { z } from '@hono/zod-openapi';
import { AgentVote, Direction, Evaluation, ReturnEstimate, TrainedModel } from '../../engine/agents/index';
import { SymbolCode } from './common';

/** Prediction horizons: `1h` is predicted on hourly bars (aggregated from 1m), `1d` on daily bars. */
export const PredictionHorizon = z.enum(['1h', '1d']).openapi({ example: '1d' });
export type PredictionHorizon = z.infer<typeof PredictionHorizon>;

export const PredictionQuery = z.object({
  horizon: PredictionHorizon.default('1d'),
  nocache: z.enum(['1', 'true']).optional().openapi({
    description: 'Admin keys only: recompute instead of serving a cached prediction (benchmarks, debugging).',
  }),
});

export const EvaluationQuery = z.object({ horizon: PredictionHorizon.default('1d') });

/**
 * What answered: `ensemble` is the calibrated blend of the agents (their `weight`s apply);
 * `base_rate` means no agent beat the base rate out of sample, so P(up) is the training up-rate
 * and the weights play no part.
 */
export const PredictionBasis = z.enum(['ensemble', 'base_rate']).openapi({
  description:
    '`ensemble`: the calibrated blend of the agents (their weights apply). `base_rate`: no agent beat the base rate out of sample, so P(up) is the training up-rate and the weights play no part.',
});
export type PredictionBasis = z.infer<typeof PredictionBasis>;

/** Outlier test: the current feature row against the training rows' max |z| distribution. */
export const OutlierFlag = z.object({ flag: z.boolean(), score: z.number(), threshold: z.number() });

/**
 * The cacheable part of a prediction: everything that depends only on (symbol, horizon,
 * last closed bar, model version). `cached`, `modelExpired` and `traceId` are added per request.
 */
export const PredictionBody = z.object({
  symbol: SymbolCode,
  horizon: PredictionHorizon,
  barTimeframe: z.enum(['1h', '1d']).openapi({ description: 'Timeframe of the bars the agents read.' }),
  horizonBars: z.number().int().positive(),
  direction: Direction,
  probability: z
    .number()
    .min(0)
    .max(1)
    .openapi({ description: 'Calibrated probability of the called direction.' }),
  probabilityUp: z.number().min(0).max(1),
  expectedReturn: ReturnEstimate.openapi({
    description: 'Simple return over the horizon, with a central interval at `level`.',
  }),
  votes: z.array(AgentVote),
  modelVersion: z.string(),
  trainedAt: z.iso.datetime(),
  trainedThrough: z.iso
    .datetime()
    .openapi({ description: 'Open time of the last bar the model was trained on.' }),
  asOf: z.iso.datetime().openapi({
    description: 'Open time of the last closed bar the prediction read (nothing newer was used).',
  }),
  asOfBarTime: z
    .number()
    .int()
    .openapi({ description: '`asOf` in epoch ms: the cache key of this prediction.' }),
  expiresAt: z.iso.datetime().openapi({
    description:
      "When this prediction is superseded: the close of the next bar in the symbol's session calendar (weekends and exchange hours; 24/7 for crypto), never before the moment it is served.",
  }),
  basis: PredictionBasis,
  outlier: OutlierFlag,
});
export type PredictionBody = z.infer<typeof PredictionBody>;

export const PredictionResponse = PredictionBody.extend({
  modelExpiresAt: z.iso.datetime(),
  modelExpired: z
    .boolean()
    .openapi({ description: 'The newest ready model is past its expiry; a retraining job has been queued.' }),
  cached: z.boolean(),
  traceId: z.string(),
}).openapi('Prediction');
export type PredictionResponse = z.infer<typeof PredictionResponse>;

export const BATCH_MAX_SYMBOLS = 50;

/** Batch request: symbols are checked one by one so that one bad code fails only its own item. */
export const BatchPredictionRequest = z
  .object({
    symbols: z.array(z.string().max(32)).min(1).max(BATCH_MAX_SYMBOLS),
    horizon: PredictionHorizon.default('1d'),
  })
  .strict()
  .openapi('BatchPredictionRequest');
export type BatchPredictionRequest = z.infer<typeof BatchPredictionRequest>;

const ItemError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const BatchPredictionItem = z.union([
  z.object({
    symbol: z.string(),
    ok: z.literal(true),
    prediction: PredictionResponse.omit({ traceId: true }),
  }),
  z.object({ symbol: z.string(), ok: z.literal(false), error: ItemError }),
]);
export type BatchPredictionItem = z.infer<typeof BatchPredictionItem>;

export const BatchPredictionResponse = z
  .object({ horizon: PredictionHorizon, results: z.array(BatchPredictionItem), traceId: z.string() })
  .openapi('BatchPredictionResponse');

export const EvaluationResponse = z
  .object({
    symbol: SymbolCode,
    horizon: PredictionHorizon,
    modelVersion: z.string(),
    trainedAt: z.iso.datetime(),
    evaluation: Evaluation.openapi({
      description:
        'Walk-forward, out-of-sample scores per agent and for the ensemble beside naive baselines, computed at training time.',
    }),
    cached: z.boolean(),
    traceId: z.string(),
  })
  .openapi('PredictionEvaluation');

export const TrainingStatus = z
  .object({
    queued: z.number().int().min(0),
    running: z.number().int().min(0),
    completedLastHour: z.number().int().min(0),
    failedLastHour: z.number().int().min(0),
    oldestQueuedAt: z.iso.datetime().nullable(),
    traceId: z.string(),
  })
  .openapi('TrainingStatus');

/** Body of a `skippy-training` queue message. */
export const TrainingMessage = z.object({
  jobId: z.string().min(1),
  symbol: SymbolCode,
  horizon: PredictionHorizon,
  traceparent: z.string().optional(),
});
export type TrainingMessage = z.infer<typeof TrainingMessage>;

/** The KV hot copy of a model (the D1 row minus its evaluation). */
export const StoredModel = z.object({
  symbol: SymbolCode,
  horizon: PredictionHorizon,
  version: z.string(),
  trainedAt: z.number().int(),
  trainedThrough: z.number().int(),
  expiresAt: z.number().int(),
  artifact: TrainedModel,
});
export type StoredModel = z.infer<typeof StoredModel>;

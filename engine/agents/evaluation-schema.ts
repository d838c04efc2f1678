import { z } from 'zod';

/** Scores of one predictor in a walk-forward evaluation (see `PredictorMetrics`). */
export const PredictorMetrics = z.object({
  count: z.number().int().min(0),
  decided: z.number().int().min(0),
  hitRate: z.number().min(0).max(1).nullable(),
  brier: z.number().min(0),
  logLoss: z.number().min(0),
  vsBaseRate: z.object({ logLossGain: z.number(), stdErr: z.number(), tStat: z.number() }).nullable(),
  intervalCoverage: z.number().min(0).max(1).nullable(),
});
export type PredictorMetrics = z.infer<typeof PredictorMetrics>;

/** What `/api/v1/predictions/:symbol/evaluation` serves. */
export const Evaluation = z.object({
  horizon: z.number().int().positive(),
  bars: z.number().int().min(0),
  /** 'expanding' or the rolling window in labelled rows. */
  trainWindow: z.union([z.literal('expanding'), z.number().int().positive()]),
  retrainEvery: z.number().int().positive(),
  retrains: z.number().int().min(0),
  /** Open times of the first and last predicted bars; null when nothing was predicted. */
  firstPredictionTime: z.number().nullable(),
  lastPredictionTime: z.number().nullable(),
  /** Share of evaluated rows that went up (what always-up's hit rate equals). */
  upRate: z.number().min(0).max(1).nullable(),
  flatBand: z.number(),
  intervalLevel: z.number(),
  ensemble: PredictorMetrics,
  agents: z.object({
    trend: PredictorMetrics,
    meanReversion: PredictorMetrics,
    volatilityRegime: PredictorMetrics,
    learned: PredictorMetrics,
  }),
  baselines: z.object({
    /** Always calls up, with P(up) = 0.5: the no-information reference for Brier and log loss. */
    alwaysUp: PredictorMetrics,
    /** Calls the direction of the last h-bar move; P(up) from its training hit rate. */
    persistence: PredictorMetrics,
    /** P(up) = training base rate; calls its likelier side. */
    baseRate: PredictorMetrics,
  }),
  /** Plain-language caveats, e.g. a small sample. */
  notes: z.array(z.string()),
});
export type Evaluation = z.infer<typeof Evaluation>;

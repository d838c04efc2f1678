import { z } from 'zod';
import { FEATURE_COUNT } from './features';

/** The agents of the ensemble, in vote order. */
export const AGENT_NAMES = ['trend', 'meanReversion', 'volatilityRegime', 'learned'] as const;

/** Name of one agent. */
export const AgentName = z.enum(AGENT_NAMES);
export type AgentName = z.infer<typeof AgentName>;

/** Called direction over the horizon; 'flat' means the edge is inside the flat band. */
export const Direction = z.enum(['up', 'flat', 'down']);
export type Direction = z.infer<typeof Direction>;

const Probability = z.number().min(0).max(1);

/** A one-dimensional score mapped to P(up) by sigmoid(intercept + slope · score), slope >= 0. */
export const SignalParams = z.object({ intercept: z.number(), slope: z.number().min(0) });
export type SignalParams = z.infer<typeof SignalParams>;

/** Volatility/regime agent: P(up) per cell of (volatility tercile × trending or choppy). */
export const RegimeParams = z.object({
  volCuts: z.tuple([z.number(), z.number()]),
  efficiencyCut: z.number(),
  /** Index = volTercile * 2 + (trending ? 1 : 0). */
  pUp: z.array(Probability).length(6),
  counts: z.array(z.number().int().min(0)).length(6),
});
export type RegimeParams = z.infer<typeof RegimeParams>;

/** Learned agent: L2 logistic regression on standardised features. */
export const LearnedParams = z.object({
  intercept: z.number(),
  weights: z.array(z.number()).length(FEATURE_COUNT),
  l2: z.number().min(0),
});
export type LearnedParams = z.infer<typeof LearnedParams>;

/** Training-set feature statistics: standardisation for the learned agent and the outlier test. */
export const FeatureStats = z.object({
  names: z.array(z.string()).length(FEATURE_COUNT),
  mean: z.array(z.number()).length(FEATURE_COUNT),
  std: z.array(z.number().positive()).length(FEATURE_COUNT),
  /** 99th percentile over training rows of max |z|; a current row above it is flagged. */
  outlierThreshold: z.number().positive(),
});
export type FeatureStats = z.infer<typeof FeatureStats>;

/** Per-agent weights in the ensemble; non-negative and summing to 1. */
export const AgentWeights = z.object({
  trend: z.number().min(0),
  meanReversion: z.number().min(0),
  volatilityRegime: z.number().min(0),
  learned: z.number().min(0),
});
export type AgentWeights = z.infer<typeof AgentWeights>;

/** Ensemble: weighted mean of agent logits, then Platt scaling sigmoid(a + b · z). */
export const EnsembleParams = z.object({
  weights: AgentWeights,
  calibration: z.object({ method: z.literal('platt'), a: z.number(), b: z.number() }),
  /** Out-of-sample rows (inner walk-forward) the weights and calibration were fitted on. */
  oosCount: z.number().int().min(0),
  /** Out-of-sample log loss per agent on those rows (the source of the weights). */
  oosLogLoss: AgentWeights,
});
export type EnsembleParams = z.infer<typeof EnsembleParams>;

/**
 * Forward h-bar simple returns divided by the bar's 20-bar volatility, from recent training rows.
 * Expected return = vol20 · (p · upMean + (1 − p) · downMean); the interval adds the offsets.
 */
export const ReturnParams = z.object({
  upMean: z.number(),
  downMean: z.number(),
  mean: z.number(),
  lowerOffset: z.number(),
  upperOffset: z.number(),
  level: z.number().gt(0).lt(1),
  samples: z.number().int().min(0),
});
export type ReturnParams = z.infer<typeof ReturnParams>;

/** A trained model as stored in D1/KV: plain JSON, parsed back with `TrainedModel.safeParse`. */
export const TrainedModel = z.object({
  kind: z.literal('skippy.agents'),
  schemaVersion: z.literal(1),
  /** `agents-1-<hash>` of everything except `version` and `trainedAt`. */
  version: z.string().min(1),
  trainedAt: z.iso.datetime(),
  /** Open time (epoch ms) of the last bar used for training. */
  trainedThroughTime: z.number(),
  horizon: z.number().int().positive(),
  barsPerYear: z.number().positive().nullable(),
  /** Labelled rows used by the final fit. */
  sampleCount: z.number().int().positive(),
  /** Share of those rows whose forward return was > 0. */
  baseRate: Probability,
  /** |P(up) − 0.5| below this is called 'flat'. */
  flatBand: z.number().min(0).max(0.5),
  features: FeatureStats,
  agents: z.object({
    trend: SignalParams,
    meanReversion: SignalParams,
    volatilityRegime: RegimeParams,
    learned: LearnedParams,
  }),
  ensemble: EnsembleParams,
  returns: ReturnParams,
});
export type TrainedModel = z.infer<typeof TrainedModel>;

/** One agent's vote inside a prediction. */
export const AgentVote = z.object({
  name: AgentName,
  direction: Direction,
  /** Probability of the called direction (for 'flat': of the likelier side). */
  probability: Probability,
  probabilityUp: Probability,
  expectedReturn: z.number(),
  /** Weight in the ensemble (weights sum to 1). */
  weight: z.number().min(0),
});
export type AgentVote = z.infer<typeof AgentVote>;

/** Expected simple return over the horizon with a central interval. */
export const ReturnEstimate = z.object({
  mean: z.number(),
  lower: z.number(),
  upper: z.number(),
  /** Nominal coverage of [lower, upper], e.g. 0.8. */
  level: z.number(),
});
export type ReturnEstimate = z.infer<typeof ReturnEstimate>;

/** Output of `predict`. */
export const Prediction = z.object({
  direction: Direction,
  /** Calibrated probability of the called direction (for 'flat': of the likelier side). */
  probability: Probability,
  /** Calibrated P(close[t + h] > close[t]). */
  probabilityUp: Probability,
  expectedReturn: ReturnEstimate,
  horizon: z.number().int().positive(),
  votes: z.array(AgentVote),
  modelVersion: z.string(),
  trainedAt: z.string(),
  /** Open time (epoch ms) of the last closed bar the prediction used. */
  asOfTime: z.number(),
  outlier: z.object({ flag: z.boolean(), score: z.number(), threshold: z.number() }),
});
export type Prediction = z.infer<typeof Prediction>;

import { fitFeatureStats, fitLearned, learnedProbability } from './learned-agent';
import { fitMeanReversion, meanReversionProbability } from './mean-reversion-agent';
import type { FeatureStats, TrainedModel } from './schema';
import type { TrainingSet } from './training-set';
import { fitTrend, trendProbability } from './trend-agent';
import { fitVolatilityRegime, volatilityRegimeProbability } from './volatility-regime-agent';

/** Every agent's parameters, fitted on one training set. */
export type AgentParams = TrainedModel['agents'];

/** Agent parameters plus the feature statistics they were standardised with. */
export interface FittedAgents {
  readonly stats: FeatureStats;
  readonly agents: AgentParams;
}

/** Fits all four agents on the same labelled rows. */
export function fitAgents(ts: TrainingSet, l2: number): FittedAgents {
  const stats = fitFeatureStats(ts);
  return {
    stats,
    agents: {
      trend: fitTrend(ts),
      meanReversion: fitMeanReversion(ts),
      volatilityRegime: fitVolatilityRegime(ts),
      learned: fitLearned(ts, stats, l2),
    },
  };
}

/** Writes each agent's P(up) for the feature row at x[offset ..] into out, in AGENT_NAMES order. */
export function agentProbabilities(
  fitted: FittedAgents,
  x: ArrayLike<number>,
  offset: number,
  out: Float64Array,
): Float64Array {
  const a = fitted.agents;
  out[0] = trendProbability(a.trend, x, offset);
  out[1] = meanReversionProbability(a.meanReversion, x, offset);
  out[2] = volatilityRegimeProbability(a.volatilityRegime, x, offset);
  out[3] = learnedProbability(a.learned, fitted.stats, x, offset);
  return out;
}

import { agentProbabilities, type FittedAgents } from './agent-set';
import { ensembleProbability } from './ensemble';
import { outlierScore } from './learned-agent';
import type { TrainedModel } from './schema';

/** Raw numbers of one prediction, before they are dressed as a `Prediction`. */
export interface RowScore {
  /** Calibrated ensemble P(up). */
  pUp: number;
  /** Each agent's P(up), AGENT_NAMES order. */
  agents: Float64Array;
  outlierScore: number;
}

/** Scores one feature row (x[offset ..]) with a trained model. */
export function scoreRow(
  model: TrainedModel,
  x: ArrayLike<number>,
  offset: number,
  out?: RowScore,
): RowScore {
  const fitted: FittedAgents = { stats: model.features, agents: model.agents };
  const agents = agentProbabilities(fitted, x, offset, out?.agents ?? new Float64Array(4));
  const pUp = ensembleProbability(model.ensemble, agents);
  const score = outlierScore(model.features, x, offset);
  if (out) {
    out.pUp = pUp;
    out.outlierScore = score;
    return out;
  }
  return { pUp, agents, outlierScore: score };
}

/** Called side for P(up) with a flat band: 1 up, −1 down, 0 flat. */
export function sideOf(pUp: number, flatBand: number): -1 | 0 | 1 {
  if (pUp - 0.5 >= flatBand && pUp > 0.5) return 1;
  if (0.5 - pUp >= flatBand && pUp < 0.5) return -1;
  return 0;
}

import { logit, sigmoid } from './math';
import { rowLogLoss } from './metrics';
import type { AgentWeights, EnsembleParams } from './schema';
import { fitSignal } from './signal-agent';

// Added to every agent's log-loss gain before normalising, so a gain that is small against its
// sampling noise (about 0.002 nats on a few hundred rows) does not take the whole weight.
const WEIGHT_PRIOR = 0.002;
// An agent counts as skilled when its out-of-sample gain exceeds this many standard errors.
const SKILL_T = 1;

/** Mean binary log loss of probabilities p for labels y. */
export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) s += rowLogLoss(p[k]!, y[k]!);
  return y.length > 0 ? s / y.length : 0;
}

/**
 * Fits ensemble weights and calibration on out-of-sample agent probabilities only.
 * Weight of an agent ∝ a small prior plus its log-loss improvement over the constant base rate of
 * these rows (none when negative); the blended logit is then Platt-scaled with a non-negative slope,
 * or P(up) is the training base rate when no agent beat it by more than one standard error.
 * @param oos one array per agent (AGENT_NAMES order) of out-of-sample P(up)
 * @param trainingBaseRate up share of all training rows, the answer when no agent has skill
 */
export function fitEnsemble(
  oos: readonly Float64Array[],
  y: Uint8Array,
  trainingBaseRate: number,
): EnsembleParams {
  const n = y.length;
  let ups = 0;
  for (let k = 0; k < n; k++) ups += y[k]!;
  const baseRate = n > 0 ? ups / n : 0.5;
  const losses = oos.map((p) => logLoss(p, y));
  const gains = oos.map((p) => gainOverBase(p, y, baseRate));
  const skilled = gains.some((g) => g.mean > SKILL_T * g.stdErr);
  const raw = gains.map((g) => Math.max(0, g.mean) + WEIGHT_PRIOR);
  const total = raw.reduce((a, b) => a + b, 0);
  const w = raw.map((r) => r / total);
  const weights = toAgentRecord(w);
  const z = new Float64Array(n);
  for (let k = 0; k < n; k++) z[k] = blend(w, oos, k);
  // No agent beat the base rate out of sample by more than its noise: the ensemble says so
  // (P(up) = base rate) instead of calibrating a blend of noise.
  const platt = skilled ? fitSignal(z, y) : { intercept: logit(trainingBaseRate), slope: 0 };
  return {
    weights,
    calibration: { method: 'platt', a: platt.intercept, b: platt.slope },
    oosCount: n,
    oosLogLoss: toAgentRecord(losses),
  };
}

/** Calibrated ensemble P(up) from the agents' P(up) (AGENT_NAMES order). */
export function ensembleProbability(params: EnsembleParams, agentP: ArrayLike<number>): number {
  const w = params.weights;
  const z =
    w.trend * logit(agentP[0]!) +
    w.meanReversion * logit(agentP[1]!) +
    w.volatilityRegime * logit(agentP[2]!) +
    w.learned * logit(agentP[3]!);
  return sigmoid(params.calibration.a + params.calibration.b * z);
}

function gainOverBase(p: Float64Array, y: Uint8Array, base: number): { mean: number; stdErr: number } {
  const n = y.length;
  if (n < 2) return { mean: 0, stdErr: 0 };
  let sum = 0;
  let sumSq = 0;
  for (let k = 0; k < n; k++) {
    const g = rowLogLoss(base, y[k]!) - rowLogLoss(p[k]!, y[k]!);
    sum += g;
    sumSq += g * g;
  }
  const mean = sum / n;
  return { mean, stdErr: Math.sqrt(Math.max(sumSq / n - mean * mean, 0) / (n - 1)) };
}

function blend(w: readonly number[], oos: readonly Float64Array[], k: number): number {
  let z = 0;
  for (let a = 0; a < w.length; a++) z += w[a]! * logit(oos[a]![k]!);
  return z;
}

function toAgentRecord(v: readonly number[]): AgentWeights {
  return { trend: v[0] ?? 0, meanReversion: v[1] ?? 0, volatilityRegime: v[2] ?? 0, learned: v[3] ?? 0 };
}

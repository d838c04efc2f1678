import type { OhlcvSeries } from '../data/bars';
import type { Evaluation } from './evaluation-schema';
import type { TrainOptions } from './fit-model';
import { minimumHistory } from './history';
import { type Outcomes, type PredictorMetrics, rowLogLoss, scorePredictor } from './metrics';
import { AGENT_NAMES } from './schema';
import { sideOf } from './score-row';
import { runWalkForward, type WalkForwardRun } from './walk-forward';

/** Options of {@link evaluateWalkForward}. */
export interface EvaluateOptions extends TrainOptions {
  /** Retrain every `step` bars; default: about 20 retrains over the series. */
  step?: number;
}

const DEFAULT_RETRAINS = 20;
const SMALL_SAMPLE = 250;

/**
 * Walk-forward, strictly out-of-sample evaluation of every agent, the ensemble and naive baselines.
 * A model fitted at bar t sees labels of rows ..= t − h only and predicts rows t .. t + step − 1;
 * only rows whose outcome bar (row + h) exists in the series are scored.
 */
export function evaluateWalkForward(series: OhlcvSeries, options: EvaluateOptions): Evaluation {
  const n = series.close.length;
  const h = options.horizon;
  const start = minimumHistory(h) - 1;
  const lastRow = n - 1 - h;
  const span = Math.max(1, lastRow - start + 1);
  const step = options.step ?? Math.max(1, Math.ceil(span / DEFAULT_RETRAINS));
  const run = runWalkForward(series, { ...options, step, lastRow });
  const outcomes = outcomesOf(series.close, run, h);
  const level = options.intervalLevel ?? 0.8;
  const m = run.index.length;
  const agentMetrics = AGENT_NAMES.map((_, a) =>
    scorePredictor(
      { pUp: run.agents[a]!, side: sides(run.agents[a]!, run.flatBand), interval: run.agentReturn[a]! },
      outcomes,
    ),
  );
  const up = Array.from(outcomes.up).reduce((s, y) => s + y, 0);
  const notes: string[] = [];
  if (m === 0) notes.push(`no rows evaluated: need more than ${minimumHistory(h) + h} bars`);
  else if (m < SMALL_SAMPLE) notes.push(`only ${m} evaluated rows: differences of a few points are noise`);
  if (h > 1) notes.push(`horizons overlap (h = ${h}), so neighbouring rows are correlated`);
  return {
    horizon: h,
    bars: n,
    trainWindow: options.trainWindow ?? 'expanding',
    retrainEvery: step,
    retrains: run.retrains,
    firstPredictionTime: m > 0 ? series.time[run.index[0]!]! : null,
    lastPredictionTime: m > 0 ? series.time[run.index[m - 1]!]! : null,
    upRate: m > 0 ? up / m : null,
    flatBand: run.flatBand,
    intervalLevel: level,
    ensemble: scorePredictor(
      { pUp: run.ensemble, side: sides(run.ensemble, run.flatBand), interval: run.ensembleReturn },
      outcomes,
    ),
    agents: {
      trend: agentMetrics[0]!,
      meanReversion: agentMetrics[1]!,
      volatilityRegime: agentMetrics[2]!,
      learned: agentMetrics[3]!,
    },
    baselines: baselines(run, outcomes),
    notes,
  };
}

function baselines(run: WalkForwardRun, outcomes: Outcomes): Evaluation['baselines'] {
  const m = run.index.length;
  const half = new Float64Array(m).fill(0.5);
  const allUp = new Int8Array(m).fill(1);
  const baseSide = new Int8Array(m);
  for (let k = 0; k < m; k++) baseSide[k] = run.baseRate[k]! >= 0.5 ? 1 : -1;
  const alwaysUp: PredictorMetrics = scorePredictor({ pUp: half, side: allUp }, outcomes);
  return {
    alwaysUp,
    persistence: scorePredictor({ pUp: run.persistence, side: run.persistenceSide }, outcomes),
    baseRate: scorePredictor({ pUp: run.baseRate, side: baseSide }, outcomes),
  };
}

function outcomesOf(close: ArrayLike<number>, run: WalkForwardRun, h: number): Outcomes {
  const m = run.index.length;
  const up = new Uint8Array(m);
  const ret = new Float64Array(m);
  const baseLoss = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = run.index[k]!;
    ret[k] = close[i + h]! / close[i]! - 1;
    up[k] = close[i + h]! > close[i]! ? 1 : 0;
    baseLoss[k] = rowLogLoss(run.baseRate[k]!, up[k]!);
  }
  return { up, ret, baseLoss, horizon: h };
}

function sides(p: Float64Array, flatBand: number): Int8Array {
  const out = new Int8Array(p.length);
  for (let k = 0; k < p.length; k++) out[k] = sideOf(p[k]!, flatBand);
  return out;
}

import { agentProbabilities, fitAgents } from './agent-set';
import { fitEnsemble, logLoss } from './ensemble';
import { FEATURE_COUNT, type FeatureMatrix } from './features';
import { contentHash } from './hash';
import { InsufficientHistoryError, minimumHistory, minimumSamples, trainingRange } from './history';
import { fitLearned, learnedProbability } from './learned-agent';
import { fitReturnModel } from './return-model';
import { AGENT_NAMES, type TrainedModel } from './schema';
import { labelMean, trainingSet } from './training-set';

/** Training options; every field but `horizon` has a default. */
export interface TrainOptions {
  /** Horizon in bars. */
  horizon: number;
  /** Rolling window of labelled rows; expanding (all history) when omitted. */
  trainWindow?: number;
  /**
   * L2 penalty of the learned agent (summed log-likelihood units). Default: chosen from
   * 1000, 100, 10, 1 by out-of-sample log loss in the inner walk-forward.
   */
  l2?: number;
  /** |P(up) − 0.5| below this is 'flat'. Default 0.02. */
  flatBand?: number;
  /** Nominal coverage of the return interval. Default 0.8. */
  intervalLevel?: number;
  /** Most recent labelled rows used for the return distribution. Default 500. */
  returnWindow?: number;
  /** Out-of-sample blocks of the inner walk-forward that fits the ensemble. Default 4. */
  innerFolds?: number;
  /** Informational timeframe hint stored with the model. */
  barsPerYear?: number;
  /** Training timestamp to record (ISO string or Date); defaults to now. */
  trainedAt?: string | Date;
}

const L2_GRID = [1000, 100, 10, 1];
const LEARNED = AGENT_NAMES.indexOf('learned');
const DEFAULTS = { flatBand: 0.02, intervalLevel: 0.8, returnWindow: 500, innerFolds: 4 };
const MIN_FOLD_ROWS = 30;

/**
 * Fits a model at the close of bar t from a feature matrix covering at least bars [0, t].
 * Reads close[0 ..= t] only. Shared by `trainModel` and the walk-forward loop.
 */
export function fitModelAt(
  fm: FeatureMatrix,
  close: ArrayLike<number>,
  time: ArrayLike<number>,
  t: number,
  options: TrainOptions,
): TrainedModel {
  const h = options.horizon;
  if (!Number.isInteger(h) || h < 1) throw new RangeError(`horizon must be a positive integer, got ${h}`);
  // Strongest penalty first, so ties go to the simpler model.
  const grid = options.l2 === undefined ? L2_GRID : [options.l2];
  const folds = Math.max(1, options.innerFolds ?? DEFAULTS.innerFolds);
  const { lo, hi } = trainingRange(t, h, options.trainWindow);
  const samples = hi - lo + 1;
  if (samples < minimumSamples(h)) throw new InsufficientHistoryError(minimumHistory(h), t + 1);

  // Inner walk-forward: agents fitted on rows whose labels were known at the block start
  // predict the block, so the ensemble weights, the calibration and the learned agent's L2
  // penalty only ever see out-of-sample rows.
  const oosStart = lo + Math.floor(samples / 2);
  const block = Math.ceil((hi - oosStart + 1) / folds);
  const size = hi - oosStart + 1;
  const oos = AGENT_NAMES.map(() => new Float64Array(size));
  const learnedOos = grid.map(() => new Float64Array(size));
  const oosY = new Uint8Array(size);
  const probs = new Float64Array(AGENT_NAMES.length);
  let m = 0;
  for (let s = oosStart; s <= hi; s += block) {
    const trainHi = s - h;
    if (trainHi - lo + 1 < MIN_FOLD_ROWS) continue;
    const foldSet = trainingSet(fm, close, lo, trainHi, h);
    const fitted = fitAgents(foldSet, grid[0]!);
    const learned = grid.map((l2, g) =>
      g === 0 ? fitted.agents.learned : fitLearned(foldSet, fitted.stats, l2),
    );
    const e = Math.min(s + block - 1, hi);
    for (let i = s; i <= e; i++) {
      const off = i * FEATURE_COUNT;
      agentProbabilities(fitted, fm.values, off, probs);
      for (let a = 0; a < probs.length; a++) oos[a]![m] = probs[a]!;
      for (let g = 0; g < grid.length; g++) {
        learnedOos[g]![m] = learnedProbability(learned[g]!, fitted.stats, fm.values, off);
      }
      oosY[m] = close[i + h]! > close[i]! ? 1 : 0;
      m++;
    }
  }
  const y = oosY.subarray(0, m);
  let best = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  for (let g = 0; g < grid.length; g++) {
    const loss = logLoss(learnedOos[g]!.subarray(0, m), y);
    if (loss < bestLoss) {
      bestLoss = loss;
      best = g;
    }
  }
  oos[LEARNED] = learnedOos[best]!;
  const l2 = grid[best]!;
  const ts = trainingSet(fm, close, lo, hi, h);
  const baseRate = labelMean(ts.y);
  const ensemble = fitEnsemble(
    oos.map((p) => p.subarray(0, m)),
    y,
    baseRate,
  );

  const final = fitAgents(ts, l2);
  const level = options.intervalLevel ?? DEFAULTS.intervalLevel;
  const body = {
    kind: 'skippy.agents' as const,
    schemaVersion: 1 as const,
    trainedThroughTime: time[t]!,
    horizon: h,
    barsPerYear: options.barsPerYear ?? null,
    sampleCount: samples,
    baseRate,
    flatBand: options.flatBand ?? DEFAULTS.flatBand,
    features: final.stats,
    agents: final.agents,
    ensemble,
    returns: fitReturnModel(fm, close, lo, hi, h, options.returnWindow ?? DEFAULTS.returnWindow, level),
  };
  const trainedAt = options.trainedAt ?? new Date();
  return {
    ...body,
    version: `agents-1-${contentHash(JSON.stringify(body))}`,
    trainedAt: typeof trainedAt === 'string' ? trainedAt : trainedAt.toISOString(),
  };
}

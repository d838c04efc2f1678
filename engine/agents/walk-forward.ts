import type { OhlcvSeries } from '../data/bars';
import { FEATURE_COUNT, featureMatrix } from './features';
import { fitModelAt, type TrainOptions } from './fit-model';
import { minimumHistory, trainingRange } from './history';
import { returnEstimate } from './return-model';
import { AGENT_NAMES, type TrainedModel } from './schema';
import { type RowScore, scoreRow } from './score-row';

/** Options of the walk-forward loop. */
export interface WalkForwardOptions extends TrainOptions {
  /** Retrain every `step` bars; each model predicts the `step` bars from its training bar on. */
  step: number;
  /** First bar to train at; default and minimum: minimumHistory(horizon) − 1. */
  start?: number;
  /** Last bar to predict (inclusive); default: the last bar. */
  lastRow?: number;
}

/** Out-of-sample predictions of every predictor for rows `index[k]`. */
export interface WalkForwardRun {
  readonly index: Int32Array;
  readonly ensemble: Float64Array;
  /** One array per agent, AGENT_NAMES order. */
  readonly agents: Float64Array[];
  /** Return interval of the ensemble, and of each agent (same width, own centre). */
  readonly ensembleReturn: { mean: Float64Array; lower: Float64Array; upper: Float64Array };
  readonly agentReturn: { mean: Float64Array; lower: Float64Array; upper: Float64Array }[];
  /** Base rate of the training rows of the model in force. */
  readonly baseRate: Float64Array;
  /** Sign of the last h-bar move (0 if none) and its training-calibrated P(up). */
  readonly persistenceSide: Int8Array;
  readonly persistence: Float64Array;
  readonly flatBand: number;
  readonly retrains: number;
  readonly lastVersion: string | null;
}

/**
 * Expanding (or rolling, with trainWindow) walk-forward: at bars t = start, start + step, …
 * a model is fitted from bars ..= t only (labels of rows ..= t − h) and predicts rows t .. t + step − 1.
 * Each row is predicted from its own features, which read no bar after it.
 */
export function runWalkForward(series: OhlcvSeries, options: WalkForwardOptions): WalkForwardRun {
  const n = series.close.length;
  const h = options.horizon;
  const step = Math.max(1, Math.floor(options.step));
  const start = Math.max(options.start ?? 0, minimumHistory(h) - 1);
  const lastRow = Math.min(options.lastRow ?? n - 1, n - 1);
  const rows = Math.max(0, lastRow - start + 1);
  const fm = featureMatrix(series, lastRow + 1);
  const close = series.close;
  const run = {
    index: new Int32Array(rows),
    ensemble: new Float64Array(rows),
    agents: AGENT_NAMES.map(() => new Float64Array(rows)),
    ensembleReturn: intervalArrays(rows),
    agentReturn: AGENT_NAMES.map(() => intervalArrays(rows)),
    baseRate: new Float64Array(rows),
    persistenceSide: new Int8Array(rows),
    persistence: new Float64Array(rows),
    flatBand: 0,
    retrains: 0,
    lastVersion: null as string | null,
  };
  const score: RowScore = { pUp: 0, agents: new Float64Array(AGENT_NAMES.length), outlierScore: 0 };
  let k = 0;
  let model: TrainedModel | null = null;
  for (let t = start; t <= lastRow; t += step) {
    model = fitModelAt(fm, close, series.time, t, {
      ...options,
      trainedAt: options.trainedAt ?? '1970-01-01T00:00:00.000Z',
    });
    run.retrains++;
    const q = persistenceAccuracy(close, t, h, options.trainWindow);
    for (let i = t; i <= Math.min(t + step - 1, lastRow); i++) {
      scoreRow(model, fm.values, i * FEATURE_COUNT, score);
      const vol = fm.vol20[i]!;
      run.index[k] = i;
      run.ensemble[k] = score.pUp;
      writeEstimate(run.ensembleReturn, k, returnEstimate(model.returns, score.pUp, vol));
      for (let a = 0; a < AGENT_NAMES.length; a++) {
        const p = score.agents[a]!;
        run.agents[a]![k] = p;
        writeEstimate(run.agentReturn[a]!, k, returnEstimate(model.returns, p, vol));
      }
      run.baseRate[k] = model.baseRate;
      const side = Math.sign(close[i]! - close[i - h]!);
      run.persistenceSide[k] = side;
      run.persistence[k] = side > 0 ? q : side < 0 ? 1 - q : model.baseRate;
      k++;
    }
  }
  run.flatBand = model?.flatBand ?? options.flatBand ?? 0;
  run.lastVersion = model?.version ?? null;
  return run;
}

/**
 * Share of training rows (of a model fitted at t) where "the next h bars move like the last h bars"
 * was right, among rows whose last move was not zero.
 */
function persistenceAccuracy(
  close: ArrayLike<number>,
  t: number,
  h: number,
  trainWindow: number | undefined,
): number {
  const { lo, hi } = trainingRange(t, h, trainWindow);
  let right = 0;
  let total = 0;
  for (let i = Math.max(lo, h); i <= hi; i++) {
    const last = close[i]! - close[i - h]!;
    if (last === 0) continue;
    const up = close[i + h]! > close[i]!;
    if (up === last > 0) right++;
    total++;
  }
  return total > 0 ? right / total : 0.5;
}

function intervalArrays(rows: number): { mean: Float64Array; lower: Float64Array; upper: Float64Array } {
  return { mean: new Float64Array(rows), lower: new Float64Array(rows), upper: new Float64Array(rows) };
}

function writeEstimate(
  target: { mean: Float64Array; lower: Float64Array; upper: Float64Array },
  k: number,
  r: { mean: number; lower: number; upper: number },
): void {
  target.mean[k] = r.mean;
  target.lower[k] = r.lower;
  target.upper[k] = r.upper;
}

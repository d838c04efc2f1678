import { z } from 'zod';
import {
  type Evaluation,
  Evaluation as EvaluationSchema,
  FEATURE_WINDOW,
  minimumHistory,
  predict,
} from '../../engine/agents/index';
import { kvKey } from '../../platform/cache';
import { ApiError } from '../../platform/errors';
import { recordInference } from '../../platform/metrics/events';
import { observeCache } from '../../platform/observe';
import {
  PredictionBody,
  type PredictionHorizon,
  type PredictionResponse,
} from '../../schema/contracts/predictions';
import { predictionExpiry } from './prediction-expiry';
import { loadEvaluation, loadModel } from './prediction-models';
import {
  FLUSH_GRACE_MS,
  HORIZON_SPEC,
  loadSeries,
  type ModelHead,
  newestClosableBar,
  type PredictionState,
  predictionState,
} from './prediction-series';
import { enqueueTraining, insufficientHistory, trainAndStore } from './prediction-training';

export interface PredictionDeps {
  env: Env;
  waitUntil: (p: Promise<unknown>) => void;
  traceparent?: string;
  /** Recompute even when a cached prediction exists (admin `?nocache=1`). */
  bypass?: boolean;
  now?: number;
}

const MEMORY_LIMIT = 2_000;
const memory = new Map<string, PredictionBody>();
/** Per isolate: (symbol, horizon) pairs whose expiry already triggered an enqueue, and when. */
const recentlyEnqueued = new Map<string, number>();
const ENQUEUE_MEMO_MS = 60_000;
/** Concurrent first requests for a symbol without a model share one inline training. */
const inflightTraining = new Map<string, Promise<ModelHead>>();

function rememberPrediction(key: string, body: PredictionBody): void {
  if (memory.size >= MEMORY_LIMIT) {
    const first = memory.keys().next().value;
    if (first !== undefined) memory.delete(first);
  }
  memory.set(key, body);
}

/**
 * A prediction for the last closed bar, from the newest ready model trained through at most
 * that bar. Cached per (symbol, horizon, bar) in isolate memory and KV; a cached copy counts
 * only if it came from the current model version, and the key's bar is the newest closed one,
 * so a prediction is never served for a bar newer than its inputs.
 * Without any model, trains one inline (fast: see `trainAndStore`) and enqueues nothing.
 */
export async function getPrediction(
  deps: PredictionDeps,
  symbol: string,
  horizon: PredictionHorizon,
): Promise<Omit<PredictionResponse, 'traceId'>> {
  const { env } = deps;
  const now = deps.now ?? Date.now();
  const spec = HORIZON_SPEC[horizon];
  const state = await currentState(deps, symbol, horizon, now);
  if (state.lastBar === null) throw insufficientHistory(horizon, minimumHistory(spec.horizonBars), 0);
  const lastBar = state.lastBar;
  const head = state.model ?? (await trainInline(deps, symbol, horizon, now));

  const expired = now >= head.expiresAt;
  if (expired) await maybeEnqueue(deps, symbol, horizon, now);
  const perRequest = { modelExpiresAt: new Date(head.expiresAt).toISOString(), modelExpired: expired };

  const key = kvKey.prediction(symbol, horizon, lastBar);
  if (!deps.bypass) {
    const hit = await cachedPrediction(env, key, head.version);
    if (hit) {
      observeCache('prediction', 'hit');
      return { ...hit, ...perRequest, expiresAt: servedExpiry(hit, now), cached: true };
    }
  }
  observeCache('prediction', 'miss');

  const model = await loadModel(env, deps.waitUntil, symbol, horizon, head);
  const series = await loadSeries(env, symbol, horizon, lastBar, FEATURE_WINDOW + 1);
  if (series.close.length < FEATURE_WINDOW + 1)
    throw insufficientHistory(horizon, FEATURE_WINDOW + 1, series.close.length);
  const p = timedPredict(model, series);
  const body: PredictionBody = {
    symbol,
    horizon,
    barTimeframe: horizon,
    horizonBars: p.horizon,
    direction: p.direction,
    probability: p.probability,
    probabilityUp: p.probabilityUp,
    expectedReturn: p.expectedReturn,
    votes: p.votes,
    modelVersion: p.modelVersion,
    trainedAt: p.trainedAt,
    trainedThrough: new Date(model.trainedThroughTime).toISOString(),
    asOf: new Date(p.asOfTime).toISOString(),
    asOfBarTime: p.asOfTime,
    expiresAt: new Date(predictionExpiry(symbol, horizon, p.asOfTime, now)).toISOString(),
    // A zero Platt slope is how the ensemble answers the training base rate (engine/agents/ensemble.ts).
    basis: model.ensemble.calibration.b === 0 ? 'base_rate' : 'ensemble',
    outlier: p.outlier,
  };
  // Entries are immutable per (bar, version): one this isolate already holds is already in KV.
  if (memory.get(key)?.modelVersion !== body.modelVersion) {
    rememberPrediction(key, body);
    // Kept past a weekend: Friday's daily prediction is still the newest on Sunday.
    const ttl = Math.max(60, Math.ceil((Date.parse(body.expiresAt) - now + spec.barMs) / 1000));
    deps.waitUntil(env.CACHE.put(key, JSON.stringify(body), { expirationTtl: ttl }).catch(() => {}));
  }
  return { ...body, ...perRequest, cached: false };
}

/** A cached body's expiry, recomputed only when it has passed (the calendar walk costs Intl calls). */
function servedExpiry(body: PredictionBody, now: number): string {
  if (Date.parse(body.expiresAt) > now) return body.expiresAt;
  return new Date(predictionExpiry(body.symbol, body.horizon, body.asOfBarTime, now)).toISOString();
}

/**
 * `predict`, recorded: the whole call under agent `ensemble` and each vote under its agent name
 * (a fixed set), all with the call's duration (the agents are scored together in one pass).
 * A `flat` call is an abstention. Workers clocks only advance on I/O, so this is often 0 ms.
 */
function timedPredict(...args: Parameters<typeof predict>): ReturnType<typeof predict> {
  const started = performance.now();
  let p: ReturnType<typeof predict>;
  try {
    p = predict(...args);
  } catch (err) {
    recordInference('ensemble', performance.now() - started, 'error');
    throw err;
  }
  const ms = performance.now() - started;
  recordInference('ensemble', ms, p.direction === 'flat' ? 'abstain' : 'ok');
  for (const v of p.votes) recordInference(v.name, ms, v.direction === 'flat' ? 'abstain' : 'ok');
  return p;
}

/** Up-to-date (symbol, horizon) states seen recently in this isolate, with their validity. */
const liveStates = new Map<string, { state: PredictionState; until: number }>();
const LIVE_STATE_MS = 2_000;

/**
 * The prediction state, from D1 unless this isolate read it in the last 2 s *and* its last bar
 * was then the newest bar that could be closed. Such a state cannot gain a newer closed bar
 * before the next bar's close (the memo never outlives that), and a new model version is
 * picked up within 2 s. Histories that lag the clock (backfills, tests) always read D1.
 */
async function currentState(
  deps: PredictionDeps,
  symbol: string,
  horizon: PredictionHorizon,
  now: number,
): Promise<PredictionState> {
  const k = `${symbol}:${horizon}`;
  const memo = liveStates.get(k);
  if (!deps.bypass && memo && now < memo.until) return memo.state;
  const state = await predictionState(deps.env, symbol, horizon, now);
  if (state.model && state.lastBar === newestClosableBar(horizon, now)) {
    const nextClose = state.lastBar + 2 * HORIZON_SPEC[horizon].barMs + FLUSH_GRACE_MS;
    if (liveStates.size >= MEMORY_LIMIT) liveStates.clear();
    liveStates.set(k, { state, until: Math.min(now + LIVE_STATE_MS, nextClose) });
  } else {
    liveStates.delete(k);
  }
  return state;
}

async function cachedPrediction(env: Env, key: string, version: string): Promise<PredictionBody | null> {
  const m = memory.get(key);
  if (m && m.modelVersion === version) return m;
  const raw = await env.CACHE.get(key, 'json').catch(() => null);
  const parsed = PredictionBody.safeParse(raw);
  if (!parsed.success || parsed.data.modelVersion !== version) return null;
  rememberPrediction(key, parsed.data);
  return parsed.data;
}

async function trainInline(
  deps: PredictionDeps,
  symbol: string,
  horizon: PredictionHorizon,
  now: number,
): Promise<ModelHead> {
  const k = `${symbol}:${horizon}`;
  let p = inflightTraining.get(k);
  if (!p) {
    p = trainAndStore(deps.env, symbol, horizon, now)
      .then((t) => t.head)
      .finally(() => inflightTraining.delete(k));
    inflightTraining.set(k, p);
  }
  return p;
}

/**
 * Enqueues retraining for an expired model at most once a minute per isolate (and once per
 * cool-down overall, see `enqueueTraining`). Awaited: a few milliseconds, once a minute.
 */
async function maybeEnqueue(
  deps: PredictionDeps,
  symbol: string,
  horizon: PredictionHorizon,
  now: number,
): Promise<void> {
  const k = `${symbol}:${horizon}`;
  const last = recentlyEnqueued.get(k);
  if (last !== undefined && now - last < ENQUEUE_MEMO_MS) return;
  recentlyEnqueued.set(k, now);
  try {
    await enqueueTraining(deps.env, symbol, horizon, now, deps.traceparent);
  } catch {
    // The prediction is still served (flagged expired); the next request or the cron retries.
    recentlyEnqueued.delete(k);
  }
}

const EvaluationEntry = z.object({ version: z.string(), evaluation: EvaluationSchema });
const evaluations = new Map<string, Evaluation>();

function rememberEvaluation(key: string, e: Evaluation): void {
  if (evaluations.size >= MEMORY_LIMIT) {
    const first = evaluations.keys().next().value;
    if (first !== undefined) evaluations.delete(first);
  }
  evaluations.set(key, e);
}

/**
 * The walk-forward evaluation stored with the newest ready model (training one inline if none
 * exists), from isolate memory, KV or D1.
 */
export async function getEvaluation(
  deps: PredictionDeps,
  symbol: string,
  horizon: PredictionHorizon,
): Promise<{ head: ModelHead; evaluation: Evaluation; cached: boolean }> {
  const { env } = deps;
  const now = deps.now ?? Date.now();
  const spec = HORIZON_SPEC[horizon];
  const state = await predictionState(env, symbol, horizon, now);
  if (state.lastBar === null) throw insufficientHistory(horizon, minimumHistory(spec.horizonBars), 0);
  const head = state.model ?? (await trainInline(deps, symbol, horizon, now));

  const memoKey = `${symbol}:${horizon}:${head.version}`;
  const inMemory = evaluations.get(memoKey);
  if (inMemory) return { head, evaluation: inMemory, cached: true };
  const key = kvKey.evaluation(symbol, horizon);
  const hot = EvaluationEntry.safeParse(await env.CACHE.get(key, 'json').catch(() => null));
  if (hot.success && hot.data.version === head.version) {
    rememberEvaluation(memoKey, hot.data.evaluation);
    return { head, evaluation: hot.data.evaluation, cached: true };
  }
  const evaluation = await loadEvaluation(env, symbol, horizon, head.version);
  if (!evaluation) throw new ApiError('not_found', `No evaluation is stored for model ${head.version}.`);
  rememberEvaluation(memoKey, evaluation);
  deps.waitUntil(
    env.CACHE.put(key, JSON.stringify({ version: head.version, evaluation }), {
      expirationTtl: 7 * 86_400,
    }).catch(() => {}),
  );
  return { head, evaluation, cached: false };
}

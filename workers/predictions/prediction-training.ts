import { and, count, eq, gt, inArray, min } from 'drizzle-orm';
import {
  evaluateWalkForward,
  minimumHistory,
  type TrainedModel,
  trainModel,
} from '../../engine/agents/index';
import { newId } from '../../platform/crypto';
import { withD1 } from '../../platform/d1/d1';
import { ApiError, dependency } from '../../platform/errors';
import { recordQueueDepth } from '../../platform/metrics/events';
import {
  PredictionHorizon,
  type StoredModel,
  type TrainingMessage,
} from '../../schema/contracts/predictions';
import { models, symbols, trainingJobs } from '../../schema/tables';
import { storeModel } from './prediction-models';
import {
  d1OrUnavailable,
  HORIZON_SPEC,
  loadSeries,
  type ModelHead,
  predictionState,
} from './prediction-series';

/** A job younger than this (queued, running or just finished) stops another from being enqueued. */
const JOB_COOLDOWN_MS = 15 * 60_000;
/** Retraining jobs the cron enqueues per run at most, so one tick never floods the queue. */
export const RETRAIN_PER_RUN = 8;

/** The 422 for a symbol whose history is too short to train on. */
export function insufficientHistory(
  horizon: PredictionHorizon,
  required: number,
  available: number,
): ApiError {
  return new ApiError(
    'insufficient_history',
    `Predicting ${horizon} needs at least ${required} closed ${horizon} bars of history; ${available} available.`,
    { details: { required, available, timeframe: horizon } },
  );
}

export interface TrainedVersion {
  head: ModelHead;
  artifact: TrainedModel;
}

/**
 * Trains the agents on the symbol's closed bars, evaluates them walk-forward (out of sample,
 * beside naive baselines), and stores both as the new `ready` version.
 * About 0.1–0.2 s for two years of daily bars, so the first request for a symbol may call it inline.
 * @throws ApiError `insufficient_history` when the symbol has too few closed bars
 */
export async function trainAndStore(
  env: Env,
  symbol: string,
  horizon: PredictionHorizon,
  now: number,
): Promise<TrainedVersion> {
  const spec = HORIZON_SPEC[horizon];
  const required = minimumHistory(spec.horizonBars);
  const state = await predictionState(env, symbol, horizon, now);
  if (state.lastBar === null) throw insufficientHistory(horizon, required, 0);
  const series = await loadSeries(env, symbol, horizon, state.lastBar, spec.trainBars);
  const available = series.close.length;
  if (available < required) throw insufficientHistory(horizon, required, available);

  const options = { horizon: spec.horizonBars, barsPerYear: spec.barsPerYear };
  const artifact = trainModel(series, { ...options, trainedAt: new Date(now) });
  const evaluation = evaluateWalkForward(series, options);
  const head: ModelHead = {
    version: artifact.version,
    trainedAt: now,
    trainedThrough: artifact.trainedThroughTime,
    expiresAt: now + spec.modelTtlMs,
  };
  const stored: StoredModel = { symbol, horizon, ...head, artifact };
  await storeModel(env, stored, evaluation);
  return { head, artifact };
}

/**
 * Records a `queued` job and sends it to the training queue, unless a job for the same symbol
 * and horizon is younger than the cool-down. Returns whether a job was enqueued.
 */
export async function enqueueTraining(
  env: Env,
  symbol: string,
  horizon: PredictionHorizon,
  now: number,
  traceparent?: string,
): Promise<boolean> {
  const recent = await withD1(env, 'training_jobs.recent', (db) =>
    db
      .select({ id: trainingJobs.id })
      .from(trainingJobs)
      .where(
        and(
          eq(trainingJobs.symbol, symbol),
          eq(trainingJobs.horizon, horizon),
          gt(trainingJobs.updatedAt, now - JOB_COOLDOWN_MS),
        ),
      )
      .get(),
  );
  if (recent) return false;
  const jobId = newId('train');
  await withD1(env, 'training_jobs.insert', (db) =>
    db
      .insert(trainingJobs)
      .values({ id: jobId, symbol, horizon, status: 'queued', createdAt: now, updatedAt: now })
      .run(),
  );
  const message: TrainingMessage = { jobId, symbol, horizon, ...(traceparent ? { traceparent } : {}) };
  await dependency('training-queue', () => env.TRAINING_QUEUE.send(message, { contentType: 'json' }));
  return true;
}

/**
 * Cron: enqueues retraining for active symbols whose newest ready model is expired or missing,
 * at most `limit` per run, skipping pairs with a recent job (so a symbol with too little
 * history is retried after the cool-down, not every minute).
 */
export async function scheduleRetraining(env: Env, now: number, limit = RETRAIN_PER_RUN): Promise<number> {
  const [active, fresh, recentJobs, queued] = await withD1(env, 'training.schedule', (db) =>
    Promise.all([
      db.select({ symbol: symbols.symbol }).from(symbols).where(eq(symbols.active, true)).all(),
      db
        .select({ symbol: models.symbol, horizon: models.horizon })
        .from(models)
        .where(and(eq(models.status, 'ready'), gt(models.expiresAt, now)))
        .all(),
      db
        .select({ symbol: trainingJobs.symbol, horizon: trainingJobs.horizon })
        .from(trainingJobs)
        .where(gt(trainingJobs.updatedAt, now - JOB_COOLDOWN_MS))
        .all(),
      // Workers exposes no queue depth: the `queued` jobs stand in for `skippy-training`'s.
      db.select({ n: count() }).from(trainingJobs).where(eq(trainingJobs.status, 'queued')).all(),
    ]),
  );
  const skip = new Set([...fresh, ...recentJobs].map((r) => `${r.symbol}:${r.horizon}`));
  let enqueued = 0;
  schedule: for (const { symbol } of active) {
    for (const horizon of PredictionHorizon.options) {
      if (enqueued >= limit) break schedule;
      if (skip.has(`${symbol}:${horizon}`)) continue;
      if (await enqueueTraining(env, symbol, horizon, now)) enqueued++;
    }
  }
  recordQueueDepth('skippy-training', (queued[0]?.n ?? 0) + enqueued);
  return enqueued;
}

/** Marks a job's progress; `error` is kept for failed jobs. */
export async function setJobStatus(
  env: Env,
  jobId: string,
  status: 'running' | 'completed' | 'failed',
  now: number,
  error?: string,
): Promise<void> {
  await withD1(env, 'training_jobs.update', (db) =>
    db
      .update(trainingJobs)
      .set({ status, updatedAt: now, error: error ?? null })
      .where(eq(trainingJobs.id, jobId))
      .run(),
  );
}

/** Depth of the training queue as recorded in `training_jobs`. */
export async function trainingCounts(env: Env, now: number) {
  const hourAgo = now - 3_600_000;
  const [pending, finished] = await d1OrUnavailable(
    env,
    'training_jobs.counts',
    'The training queue status',
    (db) =>
      Promise.all([
        db
          .select({ status: trainingJobs.status, n: count(), oldest: min(trainingJobs.createdAt) })
          .from(trainingJobs)
          .where(inArray(trainingJobs.status, ['queued', 'running']))
          .groupBy(trainingJobs.status)
          .all(),
        db
          .select({ status: trainingJobs.status, n: count() })
          .from(trainingJobs)
          .where(
            and(inArray(trainingJobs.status, ['completed', 'failed']), gt(trainingJobs.updatedAt, hourAgo)),
          )
          .groupBy(trainingJobs.status)
          .all(),
      ]),
  );
  const n = (rows: Array<{ status: string; n: number }>, s: string) =>
    rows.find((r) => r.status === s)?.n ?? 0;
  const oldest = pending.find((r) => r.status === 'queued')?.oldest ?? null;
  recordQueueDepth('skippy-training', n(pending, 'queued'));
  return {
    queued: n(pending, 'queued'),
    running: n(pending, 'running'),
    completedLastHour: n(finished, 'completed'),
    failedLastHour: n(finished, 'failed'),
    oldestQueuedAt: oldest === null ? null : new Date(oldest).toISOString(),
  };
}

import { and, eq, ne } from 'drizzle-orm';
import { Evaluation, TrainedModel } from '../../engine/agents/index';
import { kvKey } from '../../platform/cache';
import { dependencyUnavailable } from '../../platform/errors';
import { type PredictionHorizon, StoredModel } from '../../schema/contracts/predictions';
import { models } from '../../schema/tables';
import { d1OrUnavailable, type ModelHead } from './prediction-series';

/** Parsed artifacts by (symbol, horizon, version): a version's weights never change, so no TTL. */
const MEMO_LIMIT = 200;
const memo = new Map<string, TrainedModel>();
const HOT_COPY_SECONDS = 7 * 86_400;

function memoKey(symbol: string, horizon: string, version: string): string {
  return `${symbol}:${horizon}:${version}`;
}

function remember(key: string, model: TrainedModel): void {
  if (memo.size >= MEMO_LIMIT) {
    const first = memo.keys().next().value;
    if (first !== undefined) memo.delete(first);
  }
  memo.set(key, model);
}

/** Parses a stored artifact (D1 text or KV JSON); null when it is not a valid `TrainedModel`. */
export function parseArtifact(text: string): TrainedModel | null {
  try {
    const r = TrainedModel.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * The weights of one model version: isolate memory, then the KV hot copy (the newest version),
 * then D1. Artifacts are validated wherever they are read back.
 */
export async function loadModel(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  symbol: string,
  horizon: PredictionHorizon,
  head: ModelHead,
): Promise<TrainedModel> {
  const key = memoKey(symbol, horizon, head.version);
  const inMemory = memo.get(key);
  if (inMemory) return inMemory;

  const hot = await env.CACHE.get(kvKey.model(symbol, horizon), 'json').catch(() => null);
  const parsedHot = StoredModel.safeParse(hot);
  if (parsedHot.success && parsedHot.data.version === head.version) {
    remember(key, parsedHot.data.artifact);
    return parsedHot.data.artifact;
  }

  const row = await d1OrUnavailable(env, 'models.get', 'The model store', (db) =>
    db
      .select({ artifact: models.artifact })
      .from(models)
      .where(and(eq(models.symbol, symbol), eq(models.horizon, horizon), eq(models.version, head.version)))
      .get(),
  );
  const artifact = row ? parseArtifact(row.artifact) : null;
  if (!artifact) throw dependencyUnavailable(`Model ${head.version}`);
  remember(key, artifact);
  waitUntil(putHotCopy(env, { symbol, horizon, ...head, artifact }));
  return artifact;
}

function putHotCopy(env: Env, stored: StoredModel): Promise<void> {
  return env.CACHE.put(kvKey.model(stored.symbol, stored.horizon), JSON.stringify(stored), {
    expirationTtl: HOT_COPY_SECONDS,
  }).catch(() => {});
}

/**
 * Stores a newly trained version as the one `ready` model of (symbol, horizon) and retires the
 * older ones in the same D1 batch (one transaction). Retraining on unchanged bars reproduces the
 * same content-hashed version; its row is then refreshed (trained-at, expiry) rather than duplicated.
 */
export async function storeModel(env: Env, stored: StoredModel, evaluation: Evaluation): Promise<void> {
  const { symbol, horizon, version } = stored;
  const row = {
    symbol,
    horizon,
    version,
    status: 'ready' as const,
    artifact: JSON.stringify(stored.artifact),
    evaluation: JSON.stringify(evaluation),
    trainedAt: stored.trainedAt,
    trainedThrough: stored.trainedThrough,
    expiresAt: stored.expiresAt,
  };
  await d1OrUnavailable(env, 'models.store', 'The model store', (db) =>
    db.batch([
      db
        .insert(models)
        .values(row)
        .onConflictDoUpdate({
          target: [models.symbol, models.horizon, models.version],
          set: {
            status: 'ready',
            evaluation: row.evaluation,
            trainedAt: row.trainedAt,
            expiresAt: row.expiresAt,
          },
        }),
      db
        .update(models)
        .set({ status: 'retired' })
        .where(
          and(
            eq(models.symbol, symbol),
            eq(models.horizon, horizon),
            eq(models.status, 'ready'),
            ne(models.version, version),
          ),
        ),
    ]),
  );
  remember(memoKey(symbol, horizon, version), stored.artifact);
  await Promise.all([
    putHotCopy(env, stored),
    env.CACHE.delete(kvKey.evaluation(symbol, horizon)).catch(() => {}),
  ]);
}

/** The walk-forward evaluation stored with a model version, validated; null when absent. */
export async function loadEvaluation(
  env: Env,
  symbol: string,
  horizon: PredictionHorizon,
  version: string,
): Promise<Evaluation | null> {
  const row = await d1OrUnavailable(env, 'models.evaluation', 'The model store', (db) =>
    db
      .select({ evaluation: models.evaluation })
      .from(models)
      .where(and(eq(models.symbol, symbol), eq(models.horizon, horizon), eq(models.version, version)))
      .get(),
  );
  if (!row?.evaluation) return null;
  try {
    const r = Evaluation.safeParse(JSON.parse(row.evaluation));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

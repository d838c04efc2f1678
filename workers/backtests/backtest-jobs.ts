import { and, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { newId } from '../../platform/crypto';
import { withD1 } from '../../platform/d1/d1';
import { ApiError } from '../../platform/errors';
import { recordBacktestJob } from '../../platform/metrics/events';
import { olderThan, pageOf, readPageCursor } from '../../platform/paging/newest-first-page';
import {
  type BacktestJob,
  BacktestRequest,
  type BacktestStatus,
  StatsJson,
} from '../../schema/contracts/backtests';
import { backtestResults, backtests } from '../../schema/tables';
import type { ResultPayload } from './backtest-results';
import { storeResultStatements } from './backtest-results';

/** How long a consumer holds a job; renewed while it loads pages, taken over once expired. */
export const LEASE_MS = 120_000;

/** A job a consumer may take: still queued, or running under a lease that has expired. */
function takeable(id: string, now: number) {
  return and(
    eq(backtests.id, id),
    or(
      eq(backtests.status, 'queued'),
      and(eq(backtests.status, 'running'), or(isNull(backtests.leaseUntil), lt(backtests.leaseUntil, now))),
    ),
  );
}

export type JobRow = typeof backtests.$inferSelect;

/** A job to create: the canonical request JSON, its content hash and what is known of the data. */
export interface NewJob {
  keyId: string;
  request: string;
  contentHash: string;
  bars: number;
  idempotencyKey: string | null;
  traceId: string;
}

/** A key's job by idempotency key, or null. */
export async function findByIdempotencyKey(env: Env, keyId: string, idem: string): Promise<JobRow | null> {
  const row = await withD1(env, 'backtests.get_idem', (db) =>
    db
      .select()
      .from(backtests)
      .where(and(eq(backtests.keyId, keyId), eq(backtests.idempotencyKey, idem)))
      .get(),
  );
  return row ?? null;
}

/** A key's job; other keys' jobs are invisible (null), so their ids answer 404. */
export async function getJob(env: Env, keyId: string, id: string): Promise<JobRow | null> {
  const row = await withD1(env, 'backtests.get', (db) =>
    db
      .select()
      .from(backtests)
      .where(and(eq(backtests.id, id), eq(backtests.keyId, keyId)))
      .get(),
  );
  return row ?? null;
}

/** Any job by id, for the consumers. */
export async function getJobById(env: Env, id: string): Promise<JobRow | null> {
  const row = await withD1(env, 'backtests.get_by_id', (db) =>
    db.select().from(backtests).where(eq(backtests.id, id)).get(),
  );
  return row ?? null;
}

export async function requireJob(env: Env, keyId: string, id: string): Promise<JobRow> {
  const job = await getJob(env, keyId, id);
  if (!job) throw new ApiError('not_found', `No backtest ${id}.`);
  return job;
}

/**
 * Inserts a job, unless the key already used the idempotency key: then the existing job is
 * returned (`created: false`), so concurrent retries resolve to one job.
 */
async function insertJob(
  env: Env,
  job: NewJob,
  fields: Pick<JobRow, 'status' | 'mode' | 'cached' | 'progress'> & Partial<JobRow>,
  result?: ResultPayload,
): Promise<{ row: JobRow; created: boolean }> {
  const now = Date.now();
  const row: JobRow = {
    id: newId('bt'),
    keyId: job.keyId,
    request: job.request,
    contentHash: job.contentHash,
    idempotencyKey: job.idempotencyKey,
    sweepId: null,
    attempts: 0,
    leaseUntil: null,
    error: null,
    traceId: job.traceId,
    bars: job.bars,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    ...fields,
  };
  const inserted = await withD1(env, 'backtests.insert', async (db) => {
    const insert = db.insert(backtests).values(row).onConflictDoNothing().returning({ id: backtests.id });
    if (!result) return insert.all();
    // One batch is one transaction: the job never shows completed without its result.
    const [rows] = await db.batch([insert, ...storeResultStatements(db, result, now)]);
    return rows;
  });
  if (inserted.length > 0) return { row, created: true };
  const existing = job.idempotencyKey ? await findByIdempotencyKey(env, job.keyId, job.idempotencyKey) : null;
  if (!existing) throw new ApiError('internal', 'The backtest could not be stored.');
  return { row: existing, created: false };
}

/** Stores an inline run (or a cache hit) as a completed job, with its result when computed. */
export function insertCompleted(env: Env, job: NewJob, cached: boolean, result?: ResultPayload) {
  const now = Date.now();
  return insertJob(
    env,
    job,
    { status: 'completed', mode: 'inline', cached, progress: 1, startedAt: now, completedAt: now },
    result,
  );
}

export async function insertQueued(env: Env, job: NewJob) {
  const out = await insertJob(env, job, { status: 'queued', mode: 'queued', cached: false, progress: 0 });
  if (out.created) recordBacktestJob('queued');
  return out;
}

/** Run time of a job that just ended (from its first lease), if it ever ran. */
function runMs(startedAt: number | null | undefined, now: number): number | undefined {
  return startedAt == null ? undefined : Math.max(0, now - startedAt);
}

/** Records that the queue refused the job's message, so it never sits queued with no message. */
export async function markEnqueueFailed(env: Env, id: string, reason: string): Promise<void> {
  const rows = await withD1(env, 'backtests.enqueue_failed', (db) =>
    db
      .update(backtests)
      .set({ status: 'failed', error: `could not enqueue: ${reason}`.slice(0, 500), updatedAt: Date.now() })
      .where(and(eq(backtests.id, id), eq(backtests.status, 'queued')))
      .returning({ id: backtests.id })
      .all(),
  );
  if (rows.length > 0) recordBacktestJob('failed');
}

/** A key's jobs, newest first; the cursor is the last row's `createdAt.id`. */
export async function listJobs(env: Env, keyId: string, limit: number, cursor?: string) {
  const scope = `backtests:${keyId}`;
  const after = cursor ? readPageCursor(cursor, scope) : null;
  const rows = await withD1(env, 'backtests.list', (db) =>
    db
      .select()
      .from(backtests)
      .where(and(eq(backtests.keyId, keyId), olderThan(backtests.createdAt, backtests.id, after)))
      .orderBy(desc(backtests.createdAt), desc(backtests.id))
      .limit(limit + 1)
      .all(),
  );
  return pageOf(rows, limit, scope);
}

/** Cancels a queued or running job; a finished one answers 409, an already cancelled one as is. */
export async function cancelJob(env: Env, keyId: string, id: string): Promise<JobRow> {
  const now = Date.now();
  const updated = await withD1(env, 'backtests.cancel', (db) =>
    db
      .update(backtests)
      .set({ status: 'cancelled', leaseUntil: null, updatedAt: now, completedAt: now })
      .where(
        and(
          eq(backtests.id, id),
          eq(backtests.keyId, keyId),
          inArray(backtests.status, ['queued', 'running']),
        ),
      )
      .returning()
      .all(),
  );
  if (updated[0]) recordBacktestJob('cancelled', runMs(updated[0].startedAt, now));
  const row = updated[0] ?? (await requireJob(env, keyId, id));
  if (row.status === 'completed' || row.status === 'failed') {
    throw new ApiError('conflict', `Backtest ${id} already ${row.status}.`, {
      details: { status: row.status },
    });
  }
  return row;
}

/** Result of trying to lease a job for one consumer attempt. */
export type Lease = { ok: true; job: JobRow; token: number } | { ok: false; job: JobRow | null };

/**
 * Takes the job for this attempt: a queued job, or a running one whose lease expired (its
 * consumer died). One conditional UPDATE, so two deliveries can never both hold it; the new
 * `attempts` value is the lease token every later write is conditioned on.
 */
export async function leaseJob(env: Env, id: string, now: number): Promise<Lease> {
  const rows = await withD1(env, 'backtests.lease', (db) =>
    db
      .update(backtests)
      .set({
        status: 'running',
        leaseUntil: now + LEASE_MS,
        attempts: sql`${backtests.attempts} + 1`,
        startedAt: sql`coalesce(${backtests.startedAt}, ${now})`,
        updatedAt: now,
      })
      .where(takeable(id, now))
      .returning()
      .all(),
  );
  const job = rows[0];
  if (job) {
    recordBacktestJob('running');
    return { ok: true, job, token: job.attempts };
  }
  return { ok: false, job: await getJobById(env, id) };
}

function held(id: string, token: number) {
  return and(eq(backtests.id, id), eq(backtests.status, 'running'), eq(backtests.attempts, token));
}

/** Renews the lease and records progress; false when the job is no longer ours (cancelled, taken over). */
export async function heartbeat(env: Env, id: string, token: number, progress: number): Promise<boolean> {
  const now = Date.now();
  const rows = await withD1(env, 'backtests.heartbeat', (db) =>
    db
      .update(backtests)
      .set({ progress, leaseUntil: now + LEASE_MS, updatedAt: now })
      .where(held(id, token))
      .returning({ id: backtests.id })
      .all(),
  );
  return rows.length > 0;
}

/**
 * Stores the result and completes the job in one transaction, only while this attempt holds
 * the lease. Returns false when it no longer does (cancelled meanwhile): the result stays
 * stored by content, the job is left as it is.
 */
export async function completeJob(
  env: Env,
  id: string,
  token: number,
  cached: boolean,
  result?: ResultPayload,
): Promise<boolean> {
  const now = Date.now();
  const rows = await withD1(env, 'backtests.complete', async (db) => {
    const done = db
      .update(backtests)
      .set({
        status: 'completed',
        progress: 1,
        cached,
        leaseUntil: null,
        error: null,
        updatedAt: now,
        completedAt: now,
      })
      .where(held(id, token))
      .returning({ id: backtests.id, startedAt: backtests.startedAt });
    if (!result) return done.all();
    const [rows] = await db.batch([done, ...storeResultStatements(db, result, now)]);
    return rows;
  });
  const row = rows[0];
  if (row) recordBacktestJob('completed', runMs(row.startedAt, now));
  return row !== undefined;
}

/** Gives the job back after a failed attempt (the message is retried) and records why. */
export async function releaseJob(env: Env, id: string, token: number, reason: string): Promise<void> {
  await withD1(env, 'backtests.release', (db) =>
    db
      .update(backtests)
      .set({ status: 'queued', leaseUntil: null, error: reason.slice(0, 500), updatedAt: Date.now() })
      .where(held(id, token))
      .run(),
  );
}

/** Fails the job for good (bad request read back, engine rejected it) while this attempt holds it. */
export async function failHeldJob(env: Env, id: string, token: number, reason: string): Promise<void> {
  const now = Date.now();
  const rows = await withD1(env, 'backtests.fail', (db) =>
    db
      .update(backtests)
      .set({
        status: 'failed',
        leaseUntil: null,
        error: reason.slice(0, 500),
        updatedAt: now,
        completedAt: now,
      })
      .where(held(id, token))
      .returning({ startedAt: backtests.startedAt })
      .all(),
  );
  if (rows[0]) recordBacktestJob('failed', runMs(rows[0].startedAt, now));
}

/**
 * The dead-letter consumer's verdict: a job no consumer holds (queued, or running with an
 * expired lease) becomes `failed` with the last recorded error. Returns the job as it is after.
 */
export async function failDeadLettered(env: Env, id: string, now: number): Promise<JobRow | null> {
  const rows = await withD1(env, 'backtests.dead_letter', (db) =>
    db
      .update(backtests)
      .set({
        status: 'failed',
        leaseUntil: null,
        error: sql`'retries exhausted after ' || ${backtests.attempts} || ' attempts: ' || coalesce(${backtests.error}, 'unknown error')`,
        updatedAt: now,
        completedAt: now,
      })
      .where(takeable(id, now))
      .returning()
      .all(),
  );
  if (rows[0]) recordBacktestJob('failed', runMs(rows[0].startedAt, now));
  return rows[0] ?? (await getJobById(env, id));
}

/** Parses a job's stored request (JSON read back from D1). */
export function parseStoredRequest(job: JobRow) {
  let raw: unknown;
  try {
    raw = JSON.parse(job.request);
  } catch {
    return null;
  }
  const r = BacktestRequest.safeParse(raw);
  return r.success ? r.data : null;
}

/** Stats and trade count of completed jobs' results, by content hash. */
export async function resultHeads(
  env: Env,
  hashes: string[],
): Promise<Map<string, { stats: string; tradeCount: number }>> {
  if (hashes.length === 0) return new Map();
  const rows = await withD1(env, 'backtests.result_heads', (db) =>
    db
      .select({
        h: backtestResults.contentHash,
        stats: backtestResults.stats,
        tradeCount: backtestResults.tradeCount,
      })
      .from(backtestResults)
      .where(inArray(backtestResults.contentHash, [...new Set(hashes)]))
      .all(),
  );
  return new Map(rows.map((r) => [r.h, { stats: r.stats, tradeCount: r.tradeCount }]));
}

/** The public view of a job; `stats` only when it completed. */
export function jobView(
  job: JobRow,
  head?: { stats: Record<string, string | number | null>; tradeCount: number },
): BacktestJob {
  const self = `/api/v1/backtests/${job.id}`;
  return {
    id: job.id,
    status: job.status satisfies BacktestStatus,
    mode: job.mode,
    cached: job.cached,
    progress: job.progress,
    attempts: job.attempts,
    bars: job.bars,
    strategy: strategyLabel(job),
    contentHash: job.contentHash,
    error: job.error,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: job.startedAt !== null ? new Date(job.startedAt).toISOString() : null,
    completedAt: job.completedAt !== null ? new Date(job.completedAt).toISOString() : null,
    stats: job.status === 'completed' && head ? head.stats : null,
    tradeCount: job.status === 'completed' && head ? head.tradeCount : null,
    links: { self, trades: `${self}/trades`, equity: `${self}/equity` },
  };
}

const StrategyOnly = z.looseObject({
  strategy: z.union([z.looseObject({ name: z.string() }), z.looseObject({ rules: z.unknown() })]),
});

function strategyLabel(job: JobRow): string {
  let raw: unknown;
  try {
    raw = JSON.parse(job.request);
  } catch {
    return 'unknown';
  }
  const r = StrategyOnly.safeParse(raw);
  if (!r.success) return 'unknown';
  const { strategy } = r.data;
  return 'name' in strategy && typeof strategy.name === 'string' ? strategy.name : 'rules';
}

/** A job as the API shows it, with its stored statistics once it has completed. */
export async function jobViewWithResult(env: Env, row: JobRow): Promise<BacktestJob> {
  const [view] = await jobViewsWithResults(env, [row]);
  return view ?? jobView(row);
}

/** Jobs as the API shows them: one D1 read for the result heads of all completed ones. */
export async function jobViewsWithResults(env: Env, rows: JobRow[]): Promise<BacktestJob[]> {
  const heads = await resultHeads(
    env,
    rows.filter((r) => r.status === 'completed').map((r) => r.contentHash),
  );
  return rows.map((r) => {
    const head = heads.get(r.contentHash);
    if (!head) return jobView(r);
    const stats = StatsJson.safeParse(JSON.parse(head.stats));
    if (!stats.success) throw new ApiError('internal', 'Stored statistics are unreadable.');
    return jobView(r, { stats: stats.data, tradeCount: head.tradeCount });
  });
}

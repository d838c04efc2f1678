import { and, count, eq, gte, lt, or } from 'drizzle-orm';
import { withD1 } from '../../platform/d1/d1';
import { dependency } from '../../platform/errors';
import { recordBacktestJob, recordQueueDepth } from '../../platform/metrics/events';
import type { BacktestMessage } from '../../schema/contracts/backtests';
import { backtests } from '../../schema/tables';

/** A queued job untouched this long has lost its message (the longest retry delay is 5 min). */
const QUEUED_STALE_MS = 15 * 60_000;
/** Attempts after which a job is given up rather than re-sent again. */
const MAX_ATTEMPTS = 20;
const PER_RUN = 50;

/**
 * Safety net run by the cron: re-sends a message for jobs whose message is gone, a running
 * job whose consumer died with its lease (the lease expired) or a queued job nobody touched
 * for `QUEUED_STALE_MS`. Duplicate messages are harmless (the lease admits one attempt), so
 * no job stays stuck in `queued` or `running`. Returns how many jobs were re-sent.
 */
export async function reapBacktests(env: Env, now: number): Promise<number> {
  const resent = await reap(env, now);
  await reportDepth(env);
  return resent;
}

/**
 * `skippy-backtests` depth for the gauge: Workers exposes no queue depth, so the jobs waiting
 * in `queued` stand in for it (sweep chunks are not counted). Reported once a minute by the cron.
 */
async function reportDepth(env: Env): Promise<void> {
  const [row] = await withD1(env, 'backtests.queued_count', (db) =>
    db.select({ n: count() }).from(backtests).where(eq(backtests.status, 'queued')).all(),
  );
  recordQueueDepth('skippy-backtests', row?.n ?? 0);
}

async function reap(env: Env, now: number): Promise<number> {
  const stale = await withD1(env, 'backtests.reap_select', (db) =>
    db
      .select({ id: backtests.id, traceId: backtests.traceId, attempts: backtests.attempts })
      .from(backtests)
      .where(
        or(
          and(eq(backtests.status, 'running'), lt(backtests.leaseUntil, now)),
          and(eq(backtests.status, 'queued'), lt(backtests.updatedAt, now - QUEUED_STALE_MS)),
        ),
      )
      .limit(PER_RUN)
      .all(),
  );
  if (stale.length === 0) return 0;
  const given = stale.filter((j) => j.attempts >= MAX_ATTEMPTS).map((j) => j.id);
  const resend = stale.filter((j) => j.attempts < MAX_ATTEMPTS);
  await withD1(env, 'backtests.reap_update', async (db) => {
    for (const id of given) {
      const done = await db
        .update(backtests)
        .set({
          status: 'failed',
          leaseUntil: null,
          error: `abandoned after ${MAX_ATTEMPTS} attempts`,
          updatedAt: now,
          completedAt: now,
        })
        .where(and(eq(backtests.id, id), gte(backtests.attempts, MAX_ATTEMPTS)))
        .returning({ id: backtests.id })
        .all();
      if (done.length > 0) recordBacktestJob('failed');
    }
    for (const j of resend) {
      await db
        .update(backtests)
        .set({ status: 'queued', leaseUntil: null, updatedAt: now })
        .where(
          and(
            eq(backtests.id, j.id),
            or(
              eq(backtests.status, 'queued'),
              and(eq(backtests.status, 'running'), lt(backtests.leaseUntil, now)),
            ),
          ),
        )
        .run();
    }
  });
  if (resend.length > 0) {
    const messages: { body: BacktestMessage }[] = resend.map((j) => ({
      body: { jobId: j.id, ...(j.traceId ? { traceId: j.traceId } : {}) },
    }));
    await dependency('backtests-queue', () => env.BACKTEST_QUEUE.sendBatch(messages));
  }
  return resend.length;
}

import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBacktest } from '../../engine/backtest/run-backtest';
import { statsToJson } from '../../engine/backtest/serialize';
import { runSweep } from '../../engine/backtest/sweep';
import type { OhlcvSeries } from '../../engine/data/bars';
import { setFaults } from '../../platform/d1/faults';
import { BacktestRequest } from '../../schema/contracts/backtests';
import { retryDelaySeconds } from '../../workers/backtests/backtest-consumer';
import { summarize } from '../../workers/backtests/backtest-data';
import { insertQueued } from '../../workers/backtests/backtest-jobs';
import { reapBacktests } from '../../workers/backtests/backtest-reaper';
import { canonicalJson, contentHash, runOptions } from '../../workers/backtests/backtest-results';
import worker from '../../workers/index';
import { apiWith, type JobView, jobRow, post, storeDaily, waitForStatus } from './backtests-support';
import { api, json, makeKey, seedSymbols } from './helpers';

let tradeKey: string;
let keyId: string;
let nvda: OhlcvSeries;

beforeAll(async () => {
  await seedSymbols();
  tradeKey = await makeKey(['trade']);
  const row = await env.DB.prepare('SELECT id FROM api_keys ORDER BY created_at DESC LIMIT 1').first<{
    id: string;
  }>();
  keyId = row?.id ?? '';
  nvda = await storeDaily('NVDA', 400, 11);
});

afterEach(async () => {
  await setFaults(env, null);
});

let seq = 0;

/** A queued job stored without a message, so the test delivers its messages itself. */
async function queuedJob(params: Record<string, number> = { fast: 5, slow: 25 }) {
  const req = BacktestRequest.parse({
    data: { symbol: 'NVDA' },
    strategy: { name: 'sma-cross', params },
    cash: 10_000 + seq++,
  });
  const summary = await summarize(env, req.data);
  const { row } = await insertQueued(env, {
    keyId,
    request: canonicalJson(req),
    contentHash: await contentHash(req, summary),
    bars: summary.bars,
    idempotencyKey: null,
    traceId: 'test',
  });
  return { id: row.id, hash: row.contentHash, req };
}

/** Delivers one message through the Worker's queue handler; `delays` records each retry's delaySeconds. */
async function deliver(queue: string, body: unknown, attempts: number, id = `m${seq++}`) {
  const batch = createMessageBatch(queue, [{ id, timestamp: new Date(), attempts, body }]);
  const delays: Array<number | undefined> = [];
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    m.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

async function resultCount(hash: string): Promise<number> {
  const r = await env.DB.prepare('SELECT COUNT(*) AS n FROM backtest_results WHERE content_hash = ?')
    .bind(hash)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

describe('backtest consumer', () => {
  it('a consumer crash mid-job retries that message with backoff, gives the lease back, and the retry completes the job exactly once', async () => {
    const job = await queuedJob();
    await setFaults(env, {
      consumerCrashRate: 1,
      d1ErrorRate: 0,
      d1LatencyMs: 0,
      expiresAt: Date.now() + 60_000,
    });
    const crashed = await deliver('skippy-backtests', { jobId: job.id, traceId: 't' }, 1, 'crash-1');
    expect(crashed.explicitAcks).toEqual([]);
    expect(crashed.retryMessages).toEqual([{ msgId: 'crash-1' }]);
    expect(crashed.delays).toEqual([2]);
    const afterCrash = await jobRow(job.id);
    expect(afterCrash).toMatchObject({ status: 'queued', attempts: 1, lease_until: null });
    expect(afterCrash?.error).toContain('Injected fault: consumer');
    expect(await resultCount(job.hash)).toBe(0);

    await setFaults(env, null);
    const retried = await deliver('skippy-backtests', { jobId: job.id, traceId: 't' }, 2, 'crash-1');
    expect(retried.explicitAcks).toEqual(['crash-1']);
    expect(retried.retryMessages).toEqual([]);
    const done = await jobRow(job.id);
    expect(done).toMatchObject({
      status: 'completed',
      attempts: 2,
      progress: 1,
      error: null,
      lease_until: null,
    });
    expect(await resultCount(job.hash)).toBe(1);

    // A duplicate delivery of a finished job is acked without running it again.
    const dup = await deliver('skippy-backtests', { jobId: job.id, traceId: 't' }, 3, 'crash-1');
    expect(dup.explicitAcks).toEqual(['crash-1']);
    expect(await jobRow(job.id)).toEqual(done);

    const view = await json<{ job: JobView }>(await api(`/api/v1/backtests/${job.id}`, { key: tradeKey }));
    expect(view.job.stats).toEqual(statsToJson(runBacktest({ series: nvda, ...runOptions(job.req) }).stats));
  });

  it('through the real queue: injected crashes are retried until the fault clears, then the job completes once', async () => {
    await setFaults(env, {
      consumerCrashRate: 1,
      d1ErrorRate: 0,
      d1LatencyMs: 0,
      expiresAt: Date.now() + 60_000,
    });
    const res = await apiWith(
      { INLINE_BACKTEST_MAX_BARS: '50' },
      '/api/v1/backtests',
      post(
        { data: { symbol: 'NVDA' }, strategy: { name: 'ema-cross', params: { fast: 7, slow: 30 } } },
        tradeKey,
      ),
    );
    expect(res.status).toBe(202);
    const { job } = await json<{ job: JobView }>(res);
    await vi.waitFor(
      async () => {
        const row = await jobRow(job.id);
        expect(row?.attempts).toBeGreaterThanOrEqual(1);
        expect(row?.error).toContain('Injected fault');
      },
      { timeout: 15_000, interval: 100 },
    );
    await setFaults(env, null);
    await waitForStatus(job.id, 'completed', 25_000);
    const row = await jobRow(job.id);
    expect(row?.attempts).toBeGreaterThanOrEqual(2);
    const hash = await env.DB.prepare('SELECT content_hash AS h FROM backtests WHERE id = ?')
      .bind(job.id)
      .first<{ h: string }>();
    expect(await resultCount(hash?.h ?? '')).toBe(1);
  });

  it('retries a message whose job another attempt holds, and takes over an expired lease', async () => {
    const job = await queuedJob({ fast: 6, slow: 26 });
    const until = Date.now() + 60_000;
    await env.DB.prepare(
      "UPDATE backtests SET status = 'running', attempts = 1, lease_until = ? WHERE id = ?",
    )
      .bind(until, job.id)
      .run();
    const busy = await deliver('skippy-backtests', { jobId: job.id }, 1, 'busy');
    expect(busy.explicitAcks).toEqual([]);
    expect(busy.retryMessages).toHaveLength(1);
    expect(busy.delays[0]).toBeGreaterThanOrEqual(55);
    expect(await jobRow(job.id)).toMatchObject({ status: 'running', attempts: 1, lease_until: until });

    // The holder died: its lease expired, so the next delivery takes the job over.
    await env.DB.prepare('UPDATE backtests SET lease_until = ? WHERE id = ?')
      .bind(Date.now() - 1, job.id)
      .run();
    const taken = await deliver('skippy-backtests', { jobId: job.id }, 2, 'busy');
    expect(taken.explicitAcks).toEqual(['busy']);
    expect(await jobRow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('backs off exponentially between attempts, capped at five minutes', () => {
    expect([1, 2, 3, 4, 12].map(retryDelaySeconds)).toEqual([2, 4, 8, 16, 300]);
  });

  it('acks poison messages and messages for unknown jobs without retrying', async () => {
    const batch = createMessageBatch<unknown>('skippy-backtests', [
      { id: 'p1', timestamp: new Date(), attempts: 1, body: { nonsense: true } },
      { id: 'p2', timestamp: new Date(), attempts: 1, body: 'jobId=1' },
      { id: 'p3', timestamp: new Date(), attempts: 1, body: { jobId: 'bt_missing' } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const r = await getQueueResult(batch, ctx);
    expect([...r.explicitAcks].sort()).toEqual(['p1', 'p2', 'p3']);
    expect(r.retryMessages).toEqual([]);
  });

  it('one failing message does not retry the rest of its batch', async () => {
    const ok = await queuedJob({ fast: 4, slow: 40 });
    const held = await queuedJob({ fast: 3, slow: 33 });
    await env.DB.prepare(
      "UPDATE backtests SET status = 'running', attempts = 1, lease_until = ? WHERE id = ?",
    )
      .bind(Date.now() + 600_000, held.id)
      .run();
    const batch = createMessageBatch('skippy-backtests', [
      { id: 'b-held', timestamp: new Date(), attempts: 1, body: { jobId: held.id } },
      { id: 'b-ok', timestamp: new Date(), attempts: 1, body: { jobId: ok.id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const r = await getQueueResult(batch, ctx);
    expect(r.explicitAcks).toEqual(['b-ok']);
    expect(r.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(['b-held']);
    expect(r.retryBatch.retry).toBe(false);
    expect((await jobRow(ok.id))?.status).toBe('completed');
  });
});

describe('reaper (cron)', () => {
  it('re-sends jobs whose consumer died or whose message was lost, and the real queue completes them', async () => {
    const dead = await queuedJob({ fast: 15, slow: 35 });
    const lost = await queuedJob({ fast: 16, slow: 36 });
    const fresh = await queuedJob({ fast: 17, slow: 37 });
    const now = Date.now();
    await env.DB.prepare(
      "UPDATE backtests SET status = 'running', attempts = 1, lease_until = ? WHERE id = ?",
    )
      .bind(now - 1_000, dead.id)
      .run();
    await env.DB.prepare('UPDATE backtests SET updated_at = ? WHERE id = ?')
      .bind(now - 60 * 60_000, lost.id)
      .run();
    expect(await reapBacktests(env, now)).toBe(2);
    await waitForStatus(dead.id, 'completed');
    await waitForStatus(lost.id, 'completed');
    expect((await jobRow(fresh.id))?.status).toBe('queued');
    expect((await jobRow(dead.id))?.attempts).toBe(2);
  });
});

describe('cancel', () => {
  it('DELETE cancels a queued job; the consumer then acks its message without running it; finished jobs answer 409', async () => {
    const job = await queuedJob({ fast: 9, slow: 29 });
    const res = await api(`/api/v1/backtests/${job.id}`, { method: 'DELETE', key: tradeKey });
    expect(res.status).toBe(200);
    expect((await json<{ job: JobView }>(res)).job.status).toBe('cancelled');
    const again = await api(`/api/v1/backtests/${job.id}`, { method: 'DELETE', key: tradeKey });
    expect(again.status).toBe(200);

    const r = await deliver('skippy-backtests', { jobId: job.id }, 1);
    expect(r.explicitAcks).toHaveLength(1);
    expect(await jobRow(job.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(await resultCount(job.hash)).toBe(0);
    expect((await api(`/api/v1/backtests/${job.id}/trades`, { key: tradeKey })).status).toBe(409);

    const done = await queuedJob({ fast: 8, slow: 28 });
    await deliver('skippy-backtests', { jobId: done.id }, 1);
    expect((await jobRow(done.id))?.status).toBe('completed');
    const late = await api(`/api/v1/backtests/${done.id}`, { method: 'DELETE', key: tradeKey });
    expect(late.status).toBe(409);
  });

  it('a job cancelled while running is not completed by the attempt that held it', async () => {
    const job = await queuedJob({ fast: 11, slow: 31 });
    // Cancel lands between the lease and the result: simulated by cancelling right after leasing.
    const { leaseJob, completeJob } = await import('../../workers/backtests/backtest-jobs');
    const lease = await leaseJob(env, job.id, Date.now());
    expect(lease.ok).toBe(true);
    expect((await api(`/api/v1/backtests/${job.id}`, { method: 'DELETE', key: tradeKey })).status).toBe(200);
    expect(await completeJob(env, job.id, lease.ok ? lease.token : -1, false)).toBe(false);
    expect((await jobRow(job.id))?.status).toBe('cancelled');
  });
});

describe('dead-letter queue', () => {
  it('through the real queues: a job that crashes on every attempt is dead-lettered after max_retries and marked failed', async () => {
    await setFaults(env, {
      consumerCrashRate: 1,
      d1ErrorRate: 0,
      d1LatencyMs: 0,
      expiresAt: Date.now() + 120_000,
    });
    const res = await apiWith(
      { INLINE_BACKTEST_MAX_BARS: '50' },
      '/api/v1/backtests',
      post({ data: { symbol: 'NVDA' }, strategy: { name: 'donchian-breakout', params: {} } }, tradeKey),
    );
    expect(res.status).toBe(202);
    const { job } = await json<{ job: JobView }>(res);
    // 1 attempt + max_retries (4), with 2 + 4 + 8 + 16 s of backoff between them.
    await waitForStatus(job.id, 'failed', 80_000);
    const row = await jobRow(job.id);
    expect(row?.attempts).toBe(5);
    expect(row?.error).toBe('retries exhausted after 5 attempts: InjectedFault: Injected fault: consumer');
    const view = await json<{ job: JobView }>(await api(`/api/v1/backtests/${job.id}`, { key: tradeKey }));
    expect(view.job).toMatchObject({ status: 'failed', stats: null, attempts: 5 });
  }, 90_000);

  it('marks a dead-lettered job failed with the last error; finished jobs and live leases are left alone', async () => {
    const job = await queuedJob({ fast: 12, slow: 32 });
    await env.DB.prepare("UPDATE backtests SET attempts = 5, error = 'Error: upstream exploded' WHERE id = ?")
      .bind(job.id)
      .run();
    const r = await deliver('skippy-backtests-dlq', { jobId: job.id, traceId: 't' }, 1, 'dl-1');
    expect(r.explicitAcks).toEqual(['dl-1']);
    const row = await jobRow(job.id);
    expect(row?.status).toBe('failed');
    expect(row?.error).toBe('retries exhausted after 5 attempts: Error: upstream exploded');
    const view = await json<{ job: JobView }>(await api(`/api/v1/backtests/${job.id}`, { key: tradeKey }));
    expect(view.job).toMatchObject({ status: 'failed', stats: null });

    const done = await queuedJob({ fast: 13, slow: 33 });
    await deliver('skippy-backtests', { jobId: done.id }, 1);
    await deliver('skippy-backtests-dlq', { jobId: done.id }, 1);
    expect((await jobRow(done.id))?.status).toBe('completed');

    const live = await queuedJob({ fast: 14, slow: 34 });
    await env.DB.prepare("UPDATE backtests SET status = 'running', lease_until = ? WHERE id = ?")
      .bind(Date.now() + 30_000, live.id)
      .run();
    const lr = await deliver('skippy-backtests-dlq', { jobId: live.id }, 1, 'dl-live');
    expect(lr.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(['dl-live']);
    expect((await jobRow(live.id))?.status).toBe('running');

    const poison = await deliver('skippy-backtests-dlq', { what: 1 }, 1, 'dl-poison');
    expect(poison.explicitAcks).toEqual(['dl-poison']);
  });
});

describe('sweeps', () => {
  const grid = { fast: [5, 8, 10, 12, 15, 30], slow: [20, 40] };

  it('fans a grid out over the queue, skips invalid combinations, ranks by the chosen statistic like the engine', async () => {
    const res = await api(
      '/api/v1/backtests/sweeps',
      post(
        { data: { symbol: 'NVDA' }, strategy: 'sma-cross', grid, rankBy: 'Sharpe Ratio', commission: 0.001 },
        tradeKey,
      ),
    );
    expect(res.status).toBe(202);
    const accepted = await json<{ id: string; status: string; combinations: number; chunks: number }>(res);
    expect(res.headers.get('location')).toBe(`/api/v1/backtests/sweeps/${accepted.id}`);
    expect(accepted).toMatchObject({ status: 'queued', combinations: 12, chunks: 2 });

    type Sweep = {
      status: string;
      progress: number;
      chunksDone: number;
      evaluated: number;
      skipped: number;
      results: Array<{ rank: number; params: Record<string, number>; stats: Record<string, number | null> }>;
    };
    let sweep: Sweep | undefined;
    await vi.waitFor(
      async () => {
        sweep = await json<Sweep>(
          await api(`/api/v1/backtests/sweeps/${accepted.id}?limit=50`, { key: tradeKey }),
        );
        expect(sweep.status).toBe('completed');
      },
      { timeout: 20_000, interval: 150 },
    );
    expect(sweep).toMatchObject({ progress: 1, chunksDone: 2, evaluated: 11, skipped: 1 });
    const expected = runSweep(nvda, 'sma-cross', grid, 'Sharpe Ratio', { commission: 0.001 });
    expect(sweep?.results.map((r) => r.params)).toEqual(expected.results.map((r) => r.params));
    expect(sweep?.results.map((r) => r.stats['Sharpe Ratio'])).toEqual(
      expected.results.map((r) => statsToJson(r.stats)['Sharpe Ratio']),
    );
    expect(sweep?.results.map((r) => r.rank)).toEqual(expected.results.map((_, i) => i + 1));

    const other = await makeKey(['trade']);
    expect((await api(`/api/v1/backtests/sweeps/${accepted.id}`, { key: other })).status).toBe(404);
  });

  it('a redelivered chunk is stored once; a dead-lettered chunk fails its sweep', async () => {
    const res = await apiWith(
      {},
      '/api/v1/backtests/sweeps',
      post(
        { data: { symbol: 'NVDA' }, strategy: 'ema-cross', grid: { fast: [5], slow: [20, 30] } },
        tradeKey,
      ),
    );
    const { id } = await json<{ id: string }>(res);
    await vi.waitFor(
      async () => {
        const s = await json<{ status: string }>(
          await api(`/api/v1/backtests/sweeps/${id}`, { key: tradeKey }),
        );
        expect(s.status).toBe('completed');
      },
      { timeout: 20_000, interval: 150 },
    );
    const r = await deliver('skippy-backtests', { sweepId: id, chunk: 0 }, 2);
    expect(r.explicitAcks).toHaveLength(1);
    const chunks = await env.DB.prepare('SELECT COUNT(*) AS n FROM sweep_chunks WHERE sweep_id = ?')
      .bind(id)
      .first<{ n: number }>();
    expect(chunks?.n).toBe(1);

    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO sweeps (id, key_id, status, request, rank_by, total, chunk_size, chunks, created_at, updated_at) SELECT 'sw_deadletter', key_id, 'running', request, rank_by, total, chunk_size, 3, ?, ? FROM sweeps WHERE id = ?",
    )
      .bind(now, now, id)
      .run();
    const dl = await deliver('skippy-backtests-dlq', { sweepId: 'sw_deadletter', chunk: 2 }, 1);
    expect(dl.explicitAcks).toHaveLength(1);
    const s = await json<{ status: string; error: string }>(
      await api('/api/v1/backtests/sweeps/sw_deadletter', { key: tradeKey }),
    );
    expect(s).toMatchObject({ status: 'failed', error: 'chunk 2: retries exhausted' });
  });

  it('bounds the grid before storing anything (413) and rejects grids with no valid combination (400)', async () => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM sweeps').first<{ n: number }>();
    const big = await api(
      '/api/v1/backtests/sweeps',
      post(
        {
          data: { symbol: 'NVDA' },
          strategy: 'sma-cross',
          grid: {
            fast: Array.from({ length: 30 }, (_, i) => i + 2),
            slow: Array.from({ length: 20 }, (_, i) => i + 40),
          },
        },
        tradeKey,
      ),
    );
    expect(big.status).toBe(413);
    expect((await json<{ error: { details: unknown } }>(big)).error.details).toEqual({
      combinations: 600,
      max: 500,
    });
    const invalid = await api(
      '/api/v1/backtests/sweeps',
      post({ data: { symbol: 'NVDA' }, strategy: 'sma-cross', grid: { fast: [50], slow: [10] } }, tradeKey),
    );
    expect(invalid.status).toBe(400);
    const badRank = await api(
      '/api/v1/backtests/sweeps',
      post(
        { data: { symbol: 'NVDA' }, strategy: 'sma-cross', grid: { fast: [5] }, rankBy: 'Vibes' },
        tradeKey,
      ),
    );
    expect(badRank.status).toBe(400);
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM sweeps').first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

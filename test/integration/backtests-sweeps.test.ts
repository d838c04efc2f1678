import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getSweepById,
  parseSweepRequest,
  runChunk,
  storeChunk,
} from '../../workers/backtests/backtest-sweeps';
import worker from '../../workers/index';
import { apiWith, post, storeDaily } from './backtests-support';
import { api, json, makeKey, seedSymbols } from './helpers';

let tradeKey: string;
let otherKey: string;
let readKey: string;

beforeAll(async () => {
  await seedSymbols();
  [tradeKey, otherKey, readKey] = await Promise.all([
    makeKey(['trade']),
    makeKey(['trade']),
    makeKey(['read']),
  ]);
  await storeDaily('TSLA', 300, 21);
  // Through the Worker's entry once, which sets the test log level (`apiWith` bypasses it).
  await api('/api/health');
});

interface Summary {
  id: string;
  status: string;
  strategy: string;
  combinations: number;
  chunks: number;
  chunksDone: number;
  progress: number;
  evaluated: number;
  skipped: number;
  completedAt: string | null;
  links: { self: string };
}
interface Sweep extends Omit<Summary, 'links'> {
  results: Array<{ rank: number; params: Record<string, number>; stats: Record<string, unknown> }>;
}
type ErrorBody = { error: { code: string; details?: unknown } };

/** A queue binding that keeps what it is sent, so sweeps stay queued until a test delivers. */
function heldQueue() {
  const sent: unknown[] = [];
  const queue = {
    send: async (body: unknown) => {
      sent.push(body);
    },
    sendBatch: async (messages: Iterable<{ body: unknown }>) => {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue;
  return { queue, sent };
}

/** 12 combinations (one invalid: fast ≥ slow) in chunks of 10: two queue messages. */
const GRID = { fast: [5, 8, 10, 12, 15, 30], slow: [20, 40] };

async function queuedSweep(key: string, grid: Record<string, number[]> = GRID) {
  const { queue, sent } = heldQueue();
  const res = await apiWith(
    { BACKTEST_QUEUE: queue },
    '/api/v1/backtests/sweeps',
    post({ data: { symbol: 'TSLA' }, strategy: 'sma-cross', grid }, key),
  );
  expect(res.status).toBe(202);
  const sweep = await json<Sweep>(res);
  return { id: sweep.id, sweep, messages: sent };
}

let seq = 0;
async function deliver(body: unknown) {
  const batch = createMessageBatch('skippy-backtests', [
    { id: `sw-m${seq++}`, timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function chunkCount(id: string): Promise<number> {
  const r = await env.DB.prepare('SELECT COUNT(*) AS n FROM sweep_chunks WHERE sweep_id = ?')
    .bind(id)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

describe('GET /api/v1/backtests/sweeps', () => {
  it("lists the key's own sweeps newest first, paged like the backtest list, with their progress", async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await queuedSweep(tradeKey));
    const theirs = await queuedSweep(otherKey);

    // Not captured by `GET /backtests/{id}`: the list answers 200.
    const first = await api('/api/v1/backtests/sweeps?limit=2', { key: tradeKey });
    expect(first.status).toBe(200);
    const p1 = await json<{ data: Summary[]; nextCursor: string | null }>(first);
    expect(p1.data).toHaveLength(2);
    expect(p1.nextCursor).not.toBeNull();
    const all = [...p1.data];
    let cursor = p1.nextCursor;
    while (cursor) {
      const p = await json<{ data: Summary[]; nextCursor: string | null }>(
        await api(`/api/v1/backtests/sweeps?limit=2&cursor=${encodeURIComponent(cursor)}`, { key: tradeKey }),
      );
      all.push(...p.data);
      cursor = p.nextCursor;
    }
    const owned = await env.DB.prepare(
      'SELECT id FROM sweeps WHERE key_id = (SELECT key_id FROM sweeps WHERE id = ?) ORDER BY created_at DESC, id DESC',
    )
      .bind(mine[0]?.id)
      .all<{ id: string }>();
    expect(all.map((s) => s.id)).toEqual(owned.results.map((r) => r.id));
    expect(all.map((s) => s.id)).toEqual(expect.arrayContaining(mine.map((s) => s.id)));
    expect(all.map((s) => s.id)).not.toContain(theirs.id);
    expect(all[0]).toMatchObject({
      id: mine[2]?.id,
      status: 'queued',
      strategy: 'sma-cross',
      combinations: 12,
      chunks: 2,
      chunksDone: 0,
      progress: 0,
      links: { self: `/api/v1/backtests/sweeps/${mine[2]?.id}` },
    });
    expect(all[0]).not.toHaveProperty('results');

    // Progress shows as chunks are stored.
    const target = mine[1];
    expect(target?.messages).toHaveLength(2);
    await deliver(target?.messages[0]);
    const after = await json<{ data: Summary[] }>(
      await api('/api/v1/backtests/sweeps?limit=100', { key: tradeKey }),
    );
    expect(after.data.find((s) => s.id === target?.id)).toMatchObject({
      status: 'running',
      chunksDone: 1,
      progress: 0.5,
      evaluated: 10,
      skipped: 0,
    });

    const other = await json<{ data: Summary[] }>(await api('/api/v1/backtests/sweeps', { key: otherKey }));
    expect(other.data.map((s) => s.id)).toEqual([theirs.id]);
  });

  it('answers bad pages and cursors with 400 in the error shape', async () => {
    const jobCursor = btoa(`${Date.now()}.bt_abc`);
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=%%%',
      'cursor=bm9wZQ',
      `cursor=${jobCursor}`,
    ]) {
      const res = await api(`/api/v1/backtests/sweeps?${q}`, { key: tradeKey });
      expect(res.status, q).toBe(400);
      // One answer for every bad cursor (issue 15): `invalid_cursor`.
      expect((await json<ErrorBody>(res)).error.code, q).toBe(
        q.startsWith('cursor') ? 'invalid_cursor' : 'validation_failed',
      );
    }
  });
});

describe('DELETE /api/v1/backtests/sweeps/:id', () => {
  it('cancels a running sweep: later chunks are no-ops, progress stops, a repeated cancel answers as it is', async () => {
    const { id, messages } = await queuedSweep(tradeKey);
    await deliver(messages[0]);
    expect(await chunkCount(id)).toBe(1);

    const res = await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE', key: tradeKey });
    expect(res.status).toBe(200);
    const cancelled = await json<Sweep>(res);
    expect(cancelled).toMatchObject({ id, status: 'cancelled', chunksDone: 1, progress: 0.5 });
    expect(cancelled.completedAt).not.toBeNull();
    // The results stored before the cancel stay readable, ranked.
    expect(cancelled.results.map((r) => r.rank)).toEqual(
      Array.from({ length: cancelled.results.length }, (_, i) => i + 1),
    );
    expect(cancelled.results.length).toBeGreaterThan(0);

    const again = await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE', key: tradeKey });
    expect(again.status).toBe(200);
    expect((await json<Sweep>(again)).status).toBe('cancelled');

    // The remaining message is acked without running or storing anything.
    const r = await deliver(messages[1]);
    expect(r.explicitAcks).toHaveLength(1);
    expect(r.retryMessages).toHaveLength(0);
    expect(await chunkCount(id)).toBe(1);
    const view = await json<Sweep>(await api(`/api/v1/backtests/sweeps/${id}`, { key: tradeKey }));
    expect(view).toMatchObject({ status: 'cancelled', chunksDone: 1, progress: 0.5 });
  });

  it('a chunk that was running when the cancel landed is not stored', async () => {
    const { id } = await queuedSweep(tradeKey);
    const row = await getSweepById(env, id);
    const req = row ? parseSweepRequest(row) : null;
    if (!row || !req) throw new Error('sweep not stored');
    const { sweepSeries } = await import('../../workers/backtests/backtest-sweeps');
    const series = await sweepSeries(env, req);
    if (!series) throw new Error('no series');
    const out = runChunk(series, req, row, 0);
    expect((await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE', key: tradeKey })).status).toBe(
      200,
    );
    expect(await storeChunk(env, id, 0, out)).toBe(false);
    expect(await chunkCount(id)).toBe(0);
    expect((await getSweepById(env, id))?.status).toBe('cancelled');
  });

  it('a finished sweep answers 409 (as a finished backtest does) and stays as it was', async () => {
    const { id, messages } = await queuedSweep(tradeKey);
    for (const m of messages) await deliver(m);
    expect((await getSweepById(env, id))?.status).toBe('completed');
    const res = await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE', key: tradeKey });
    expect(res.status).toBe(409);
    const body = await json<ErrorBody>(res);
    expect(body.error).toMatchObject({ code: 'conflict', details: { status: 'completed' } });
    expect((await getSweepById(env, id))?.status).toBe('completed');

    const failed = await queuedSweep(tradeKey);
    await env.DB.prepare(
      "UPDATE sweeps SET status = 'failed', error = 'chunk 0: retries exhausted' WHERE id = ?",
    )
      .bind(failed.id)
      .run();
    const f = await api(`/api/v1/backtests/sweeps/${failed.id}`, { method: 'DELETE', key: tradeKey });
    expect(f.status).toBe(409);
  });

  it('answers malformed and unknown ids with 400 and 404', async () => {
    const bad = await api('/api/v1/backtests/sweeps/not-an-id', { method: 'DELETE', key: tradeKey });
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.code).toBe('validation_failed');
    const unknown = await api('/api/v1/backtests/sweeps/sw_doesNotExist', {
      method: 'DELETE',
      key: tradeKey,
    });
    expect(unknown.status).toBe(404);
    expect((await json<ErrorBody>(unknown)).error.code).toBe('not_found');
    // A backtest id is not a sweep id.
    const job = await api('/api/v1/backtests/sweeps/bt_abc', { method: 'DELETE', key: tradeKey });
    expect(job.status).toBe(400);
  });
});

describe('sweep ownership and scopes', () => {
  it('another key can neither see nor cancel a sweep; it stays queued', async () => {
    const { id } = await queuedSweep(tradeKey);
    const seen = await api(`/api/v1/backtests/sweeps/${id}`, { key: otherKey });
    expect(seen.status).toBe(404);
    const cancel = await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE', key: otherKey });
    expect(cancel.status).toBe(404);
    expect((await json<ErrorBody>(cancel)).error.code).toBe('not_found');
    expect((await getSweepById(env, id))?.status).toBe('queued');
    const list = await json<{ data: Summary[] }>(
      await api('/api/v1/backtests/sweeps?limit=100', { key: otherKey }),
    );
    expect(list.data.map((s) => s.id)).not.toContain(id);
  });

  it('needs a key with the trade scope', async () => {
    const { id } = await queuedSweep(tradeKey);
    expect((await api('/api/v1/backtests/sweeps')).status).toBe(401);
    expect((await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE' })).status).toBe(401);
    expect((await api('/api/v1/backtests/sweeps', { key: readKey })).status).toBe(403);
    expect((await api(`/api/v1/backtests/sweeps/${id}`, { method: 'DELETE', key: readKey })).status).toBe(
      403,
    );
    expect((await getSweepById(env, id))?.status).toBe('queued');
  });

  it('documents the list and the cancel in the OpenAPI document', async () => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await api('/api/openapi.json'),
    );
    expect(Object.keys(doc.paths['/api/v1/backtests/sweeps'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/backtests/sweeps/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
  });
});

import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { BacktestInputError } from '../../engine/backtest/errors';
import { runBacktest } from '../../engine/backtest/run-backtest';
import { statsToJson } from '../../engine/backtest/serialize';
import { cartesian, rankSweepRows } from '../../engine/backtest/sweep';
import type { OhlcvSeries } from '../../engine/data/bars';
import { getStrategy } from '../../engine/strategies/registry';
import { newId } from '../../platform/crypto';
import { withD1 } from '../../platform/d1/d1';
import { ApiError, dependency } from '../../platform/errors';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { olderThan, pageOf, readPageCursor } from '../../platform/paging/newest-first-page';
import {
  type BacktestMessage,
  MAX_SWEEP_GRID,
  SweepChunkRows,
  type SweepRequest,
  SweepRequest as SweepRequestSchema,
  type SweepRow,
  type SweepSummary,
  type SweepView,
} from '../../schema/contracts/backtests';
import { sweepChunks, sweeps } from '../../schema/tables';
import { checkBarLimits, isStored, loadStoredSeries, seriesFromInline, summarize } from './backtest-data';
import { canonicalJson } from './backtest-results';
import { maxBars } from './backtest-submit';

/** Bar evaluations (bars × combinations) one queue message runs at most. */
const BAR_EVALS_PER_MESSAGE = 5_000_000;
/** Combinations per message at most, so even small sweeps fan out over several consumers. */
const MAX_CHUNK = 10;
/** Bar evaluations a whole sweep may ask for. */
export const MAX_SWEEP_BAR_EVALS = 200_000_000;

export type SweepRowRecord = typeof sweeps.$inferSelect;

/** Combinations of a grid, computed from the value counts before any product is built. */
export function gridSize(grid: Record<string, readonly unknown[]>): number {
  return Object.values(grid).reduce((n, values) => n * values.length, 1);
}

function execOptions(req: SweepRequest) {
  const { strategy: _s, grid: _g, rankBy: _r, order: _o, data: _d, ...exec } = req;
  return exec;
}

/**
 * Validates and stores a sweep, then fans its combinations out as queue messages (one per
 * chunk). The grid's size is computed and bounded before anything is stored.
 */
export async function submitSweep(
  env: Env,
  keyId: string,
  traceId: string,
  idempotencyKey: string | null,
  waitUntil: (p: Promise<unknown>) => void,
  req: SweepRequest,
): Promise<{ row: SweepRowRecord; created: boolean }> {
  const combos = gridSize(req.grid);
  if (combos > MAX_SWEEP_GRID) {
    throw new ApiError(
      'payload_too_large',
      `The grid has ${combos} combinations, more than ${MAX_SWEEP_GRID}.`,
      {
        details: { combinations: combos, max: MAX_SWEEP_GRID },
      },
    );
  }
  const request = canonicalJson(req);
  if (idempotencyKey) {
    const prior = await findSweepByIdem(env, keyId, idempotencyKey);
    if (prior) {
      if (prior.request !== request)
        throw new ApiError('conflict', 'This Idempotency-Key was used with a different request.');
      return { row: prior, created: false };
    }
  }
  const def = getStrategy(req.strategy);
  if (!def) throw new ApiError('validation_failed', `Unknown strategy ${req.strategy}.`);
  const all = cartesian(req.grid);
  const firstFailure = all.map((p) => def.params.safeParse(p)).find((r) => !r.success);
  if (firstFailure && all.every((p) => !def.params.safeParse(p).success)) {
    throw new ApiError('validation_failed', 'No combination of the grid is valid for this strategy.', {
      details: firstFailure.error?.issues
        .slice(0, 20)
        .map((i) => ({ path: ['grid', ...i.path.map(String)].join('.'), message: i.message })),
    });
  }
  if (isStored(req.data)) await requireKnownSymbol(env, waitUntil, req.data.symbol);
  const summary = await summarize(env, req.data);
  checkBarLimits(summary, maxBars(env));
  if (summary.bars * combos > MAX_SWEEP_BAR_EVALS) {
    throw new ApiError(
      'payload_too_large',
      `The sweep needs ${summary.bars * combos} bar evaluations, more than ${MAX_SWEEP_BAR_EVALS}.`,
      {
        details: { bars: summary.bars, combinations: combos, max: MAX_SWEEP_BAR_EVALS },
      },
    );
  }
  const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.floor(BAR_EVALS_PER_MESSAGE / summary.bars)));
  const chunks = Math.ceil(combos / chunkSize);
  const now = Date.now();
  const row: SweepRowRecord = {
    id: newId('sw'),
    keyId,
    status: 'queued',
    request,
    rankBy: req.rankBy,
    total: combos,
    chunkSize,
    chunks,
    idempotencyKey,
    error: null,
    traceId,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  };
  const inserted = await withD1(env, 'sweeps.insert', (db) =>
    db.insert(sweeps).values(row).onConflictDoNothing().returning({ id: sweeps.id }).all(),
  );
  if (inserted.length === 0) {
    const prior = idempotencyKey ? await findSweepByIdem(env, keyId, idempotencyKey) : null;
    if (!prior) throw new ApiError('internal', 'The sweep could not be stored.');
    return { row: prior, created: false };
  }
  const messages: { body: BacktestMessage }[] = Array.from({ length: chunks }, (_, chunk) => ({
    body: { sweepId: row.id, chunk, traceId },
  }));
  try {
    // sendBatch takes at most 100 messages; a sweep has at most MAX_SWEEP_GRID / 1 chunks.
    for (let i = 0; i < messages.length; i += 100)
      await dependency('backtests-queue', () => env.BACKTEST_QUEUE.sendBatch(messages.slice(i, i + 100)));
  } catch (err) {
    await failSweep(env, row.id, `could not enqueue: ${err instanceof Error ? err.message : String(err)}`);
    throw new ApiError('dependency_failed', 'The backtest queue is unavailable; retry shortly.');
  }
  return { row, created: true };
}

async function findSweepByIdem(env: Env, keyId: string, idem: string): Promise<SweepRowRecord | null> {
  const row = await withD1(env, 'sweeps.get_idem', (db) =>
    db
      .select()
      .from(sweeps)
      .where(and(eq(sweeps.keyId, keyId), eq(sweeps.idempotencyKey, idem)))
      .get(),
  );
  return row ?? null;
}

export async function getSweepById(env: Env, id: string): Promise<SweepRowRecord | null> {
  const row = await withD1(env, 'sweeps.get', (db) =>
    db.select().from(sweeps).where(eq(sweeps.id, id)).get(),
  );
  return row ?? null;
}

/** Marks a sweep failed unless it already finished. */
export async function failSweep(env: Env, id: string, reason: string): Promise<void> {
  const now = Date.now();
  await withD1(env, 'sweeps.fail', (db) =>
    db
      .update(sweeps)
      .set({ status: 'failed', error: reason.slice(0, 500), updatedAt: now, completedAt: now })
      .where(and(eq(sweeps.id, id), inArray(sweeps.status, ['queued', 'running'])))
      .run(),
  );
}

export async function chunkDone(env: Env, id: string, chunk: number): Promise<boolean> {
  const row = await withD1(env, 'sweeps.chunk_get', (db) =>
    db
      .select({ c: sweepChunks.chunk })
      .from(sweepChunks)
      .where(and(eq(sweepChunks.sweepId, id), eq(sweepChunks.chunk, chunk)))
      .get(),
  );
  return row !== undefined;
}

export function parseSweepRequest(row: SweepRowRecord): SweepRequest | null {
  let raw: unknown;
  try {
    raw = JSON.parse(row.request);
  } catch {
    return null;
  }
  const r = SweepRequestSchema.safeParse(raw);
  return r.success ? r.data : null;
}

/** Loads a sweep's series (the data is the same for every chunk). */
export async function sweepSeries(env: Env, req: SweepRequest): Promise<OhlcvSeries | null> {
  if (!isStored(req.data)) return seriesFromInline(req.data);
  const summary = await summarize(env, req.data);
  return loadStoredSeries(env, req.data, summary.bars);
}

/** Runs one chunk's combinations; invalid combinations (e.g. fast ≥ slow) are skipped. */
export function runChunk(series: OhlcvSeries, req: SweepRequest, row: SweepRowRecord, chunk: number) {
  const def = getStrategy(req.strategy);
  if (!def) throw new BacktestInputError(`unknown strategy "${req.strategy}"`);
  const combos = cartesian(req.grid).slice(chunk * row.chunkSize, (chunk + 1) * row.chunkSize);
  const exec = execOptions(req);
  const equityOut = new Float64Array(series.close.length);
  const drawdownOut = new Float64Array(series.close.length);
  const rows: SweepRow[] = [];
  let skipped = 0;
  for (const params of combos) {
    if (!def.params.safeParse(params).success) {
      skipped++;
      continue;
    }
    const r = runBacktest({
      series,
      ...exec,
      strategy: { name: req.strategy, params },
      equityOut,
      drawdownOut,
    });
    rows.push({ params, stats: statsToJson(r.stats) });
  }
  return { rows, evaluated: rows.length, skipped };
}

/**
 * Stores a chunk (a redelivered chunk is a no-op through the primary key) and completes the
 * sweep when every chunk is in. A chunk of a sweep that is no longer queued or running
 * (cancelled, failed) is dropped.
 */
export async function storeChunk(
  env: Env,
  id: string,
  chunk: number,
  out: ReturnType<typeof runChunk>,
): Promise<boolean> {
  const now = Date.now();
  return withD1(env, 'sweeps.chunk_store', async (db) => {
    // The chunk is stored only while the sweep is live, in the same transaction as the status
    // check: once a sweep is cancelled (or failed) its progress no longer moves, even for a
    // chunk that was already running when the cancel landed.
    const [stored] = await db.batch([
      db
        .insert(sweepChunks)
        .select(
          db
            .select({
              sweepId: sql<string>`${id}`.as('sweep_id'),
              chunk: sql<number>`${chunk}`.as('chunk'),
              rows: sql<string>`${JSON.stringify(out.rows)}`.as('rows'),
              evaluated: sql<number>`${out.evaluated}`.as('evaluated'),
              skipped: sql<number>`${out.skipped}`.as('skipped'),
              createdAt: sql<number>`${now}`.as('created_at'),
            })
            .from(sweeps)
            .where(and(eq(sweeps.id, id), inArray(sweeps.status, ['queued', 'running']))),
        )
        .onConflictDoNothing()
        .returning({ chunk: sweepChunks.chunk }),
      db
        .update(sweeps)
        .set({
          status: sql`case when (select count(*) from ${sweepChunks} where ${sweepChunks.sweepId} = ${id}) >= ${sweeps.chunks} then 'completed' else 'running' end`,
          completedAt: sql`case when (select count(*) from ${sweepChunks} where ${sweepChunks.sweepId} = ${id}) >= ${sweeps.chunks} then ${now} else null end`,
          updatedAt: now,
        })
        .where(and(eq(sweeps.id, id), inArray(sweeps.status, ['queued', 'running']))),
    ]);
    return stored.length > 0;
  });
}

export async function markSweepRunning(env: Env, id: string): Promise<void> {
  await withD1(env, 'sweeps.running', (db) =>
    db
      .update(sweeps)
      .set({ status: 'running', updatedAt: Date.now() })
      .where(and(eq(sweeps.id, id), eq(sweeps.status, 'queued')))
      .run(),
  );
}

/** A key's sweep (other keys' sweeps are invisible: 404). */
async function requireSweep(env: Env, keyId: string, id: string): Promise<SweepRowRecord> {
  const row = await getSweepById(env, id);
  if (!row || row.keyId !== keyId) throw new ApiError('not_found', `No sweep ${id}.`);
  return row;
}

/** A key's sweep with its chunks aggregated and ranked (best first, missing statistics last). */
export async function sweepView(env: Env, keyId: string, id: string, limit: number): Promise<SweepView> {
  return viewOfRow(env, await requireSweep(env, keyId, id), limit);
}

async function viewOfRow(env: Env, row: SweepRowRecord, limit: number): Promise<SweepView> {
  const req = parseSweepRequest(row);
  if (!req) throw new ApiError('internal', 'The stored sweep request is unreadable.');
  const chunkRows = await withD1(env, 'sweeps.chunks', (db) =>
    db
      .select()
      .from(sweepChunks)
      .where(eq(sweepChunks.sweepId, row.id))
      .orderBy(asc(sweepChunks.chunk))
      .all(),
  );
  const all: SweepRow[] = [];
  let evaluated = 0;
  let skipped = 0;
  for (const c of chunkRows) {
    const parsed = SweepChunkRows.safeParse(safeJson(c.rows));
    if (!parsed.success) throw new ApiError('internal', 'A stored sweep chunk is unreadable.');
    all.push(...parsed.data);
    evaluated += c.evaluated;
    skipped += c.skipped;
  }
  rankSweepRows(all, req.rankBy, req.order);
  return {
    ...sweepFields(row, req, { done: chunkRows.length, evaluated, skipped }),
    results: all.slice(0, limit).map((r, i) => ({ ...r, rank: i + 1 })),
  };
}

interface ChunkTotals {
  done: number;
  evaluated: number;
  skipped: number;
}

function sweepFields(
  row: SweepRowRecord,
  req: { strategy: string; order: 'asc' | 'desc' },
  totals: ChunkTotals,
): Omit<SweepView, 'results'> {
  return {
    id: row.id,
    status: row.status,
    strategy: req.strategy,
    rankBy: row.rankBy,
    order: req.order,
    combinations: row.total,
    chunks: row.chunks,
    chunksDone: totals.done,
    progress: row.chunks === 0 ? 1 : Math.min(1, totals.done / row.chunks),
    evaluated: totals.evaluated,
    skipped: totals.skipped,
    error: row.error,
    createdAt: new Date(row.createdAt).toISOString(),
    completedAt: row.completedAt !== null ? new Date(row.completedAt).toISOString() : null,
  };
}

/** The two request fields a list shows, read leniently so one odd stored row cannot break a page. */
const SweepLabel = z.looseObject({
  strategy: z.string().catch('unknown'),
  order: z.enum(['asc', 'desc']).catch('desc'),
});

/**
 * A key's sweeps, newest first, with their progress (chunk counts and sums, no results); the
 * cursor is the last row's `createdAt.id`, as for `GET /api/v1/backtests`.
 */
export async function listSweeps(
  env: Env,
  keyId: string,
  limit: number,
  cursor?: string,
): Promise<{ data: SweepSummary[]; nextCursor: string | null }> {
  const scope = `sweeps:${keyId}`;
  const after = cursor ? readPageCursor(cursor, scope) : null;
  const rows = await withD1(env, 'sweeps.list', (db) =>
    db
      .select()
      .from(sweeps)
      .where(and(eq(sweeps.keyId, keyId), olderThan(sweeps.createdAt, sweeps.id, after)))
      .orderBy(desc(sweeps.createdAt), desc(sweeps.id))
      .limit(limit + 1)
      .all(),
  );
  const page = pageOf(rows, limit, scope);
  const totals = await chunkTotals(
    env,
    page.rows.map((r) => r.id),
  );
  const data = page.rows.map((row) => {
    const label = SweepLabel.safeParse(safeJson(row.request));
    const req = label.success ? label.data : { strategy: 'unknown', order: 'desc' as const };
    return {
      ...sweepFields(row, req, totals.get(row.id) ?? { done: 0, evaluated: 0, skipped: 0 }),
      links: { self: `/api/v1/backtests/sweeps/${row.id}` },
    };
  });
  return { data, nextCursor: page.nextCursor };
}

async function chunkTotals(env: Env, ids: string[]): Promise<Map<string, ChunkTotals>> {
  if (ids.length === 0) return new Map();
  const rows = await withD1(env, 'sweeps.chunk_totals', (db) =>
    db
      .select({
        id: sweepChunks.sweepId,
        done: sql<number>`count(*)`,
        evaluated: sql<number>`total(${sweepChunks.evaluated})`,
        skipped: sql<number>`total(${sweepChunks.skipped})`,
      })
      .from(sweepChunks)
      .where(inArray(sweepChunks.sweepId, ids))
      .groupBy(sweepChunks.sweepId)
      .all(),
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { done: Number(r.done), evaluated: Number(r.evaluated), skipped: Number(r.skipped) },
    ]),
  );
}

/**
 * Cancels a queued or running sweep: its remaining queue messages are acked without running and
 * chunks still running are not stored (`storeChunk`), so its progress stops where it is. As for
 * a single backtest, a cancelled sweep answers as it is and a finished one (completed, failed) 409.
 */
export async function cancelSweep(env: Env, keyId: string, id: string, limit: number): Promise<SweepView> {
  const now = Date.now();
  const updated = await withD1(env, 'sweeps.cancel', (db) =>
    db
      .update(sweeps)
      .set({ status: 'cancelled', updatedAt: now, completedAt: now })
      .where(and(eq(sweeps.id, id), eq(sweeps.keyId, keyId), inArray(sweeps.status, ['queued', 'running'])))
      .returning()
      .all(),
  );
  const row = updated[0] ?? (await requireSweep(env, keyId, id));
  if (row.status === 'completed' || row.status === 'failed') {
    throw new ApiError('conflict', `Sweep ${id} already ${row.status}.`, { details: { status: row.status } });
  }
  return viewOfRow(env, row, limit);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

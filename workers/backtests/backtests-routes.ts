import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from '../../platform/errors';
import { decodeCursor, encodeCursor } from '../../platform/paging/page-cursor';
import {
  BacktestIdParam,
  BacktestJob,
  BacktestRequest,
  BacktestRunResponse,
  EquityQuery,
  EquityResponse,
  JobList,
  ListQuery,
  PageQuery,
  SweepIdParam,
  SweepList,
  SweepRequest,
  SweepView,
  SweepViewQuery,
  TradesPage,
} from '../../schema/contracts/backtests';
import { errorResponses } from '../../schema/contracts/common';
import type { AppEnv } from '../app-env';
import { assertFlag, requestFlags } from '../middleware/flags';
import { createRouter } from '../router';
import {
  cancelJob,
  type JobRow,
  jobView,
  jobViewsWithResults,
  jobViewWithResult,
  listJobs,
  requireJob,
  resultHeads,
} from './backtest-jobs';
import { equityForChart, readResult, readTrades } from './backtest-results';
import { type SubmitContext, submitBacktest } from './backtest-submit';
import { cancelSweep, listSweeps, submitSweep, sweepView } from './backtest-sweeps';

const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1–200 visible ASCII characters.')
    .optional()
    .openapi({ description: 'Makes a retried submission return the same job (per API key).' }),
});

/** A trades cursor's position: the index of the next trade. */
const TradeOffset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const JobEnvelope = z.object({ job: BacktestJob }).openapi('BacktestJobEnvelope');

function principalOf(c: Context<AppEnv>) {
  const p = c.get('principal');
  if (!p) throw new ApiError('unauthorized', 'An API key is required.');
  return p;
}

export const backtestsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/sweeps',
      tags: ['backtests'],
      summary: `Parameter sweep of a built-in strategy over a grid (≤ 500 combinations), fanned out over the backtests queue.`,
      security: [{ bearer: [] }],
      request: {
        headers: IdempotencyHeaders,
        body: { content: { 'application/json': { schema: SweepRequest } }, required: true },
      },
      responses: {
        202: {
          description: 'Sweep accepted; poll its Location',
          content: { 'application/json': { schema: SweepView } },
        },
        ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const req = c.req.valid('json');
      await assertFlag(c, 'backtests.sweeps', 'Parameter sweeps');
      if (req.strategy === 'prediction')
        await assertFlag(c, 'backtests.strategy.prediction', 'The prediction strategy');
      const idem = c.req.valid('header')['idempotency-key'] ?? null;
      const { row, created } = await submitSweep(
        c.env,
        keyId,
        c.get('traceId'),
        idem,
        (p) => c.executionCtx.waitUntil(p),
        req,
      );
      const view = await sweepView(c.env, keyId, row.id, 20);
      const headers: Record<string, string> = { location: `/api/v1/backtests/sweeps/${row.id}` };
      if (!created) headers['idempotent-replayed'] = 'true';
      return c.json(view, 202, headers);
    },
  )
  // `/sweeps` routes are registered before `/{id}`: Hono matches in registration order, and
  // `GET /sweeps` would otherwise reach `GET /{id}` (and answer 400 for the id "sweeps").
  .openapi(
    createRoute({
      method: 'get',
      path: '/sweeps',
      tags: ['backtests'],
      summary: "The key's sweeps, newest first, with their progress (results at `/sweeps/{id}`).",
      security: [{ bearer: [] }],
      request: { query: ListQuery },
      responses: {
        200: { description: 'One page of sweeps', content: { 'application/json': { schema: SweepList } } },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const { limit, cursor } = c.req.valid('query');
      return c.json(await listSweeps(c.env, keyId, limit, cursor), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/sweeps/{id}',
      tags: ['backtests'],
      summary: 'A sweep: progress and the results so far, ranked by its statistic.',
      security: [{ bearer: [] }],
      request: { params: SweepIdParam, query: SweepViewQuery },
      responses: {
        200: { description: 'The sweep', content: { 'application/json': { schema: SweepView } } },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      return c.json(await sweepView(c.env, keyId, id, limit), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/sweeps/{id}',
      tags: ['backtests'],
      summary:
        'Cancel a queued or running sweep: its remaining chunks are skipped and its progress stops (a cancelled sweep answers as it is; a finished one 409).',
      security: [{ bearer: [] }],
      request: { params: SweepIdParam, query: SweepViewQuery },
      responses: {
        200: {
          description: 'The cancelled sweep with the results stored before the cancel',
          content: { 'application/json': { schema: SweepView } },
        },
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      return c.json(await cancelSweep(c.env, keyId, id, limit), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['backtests'],
      summary: 'Run a backtest: small runs answer 201 with the result, large ones 202 with a job to poll.',
      security: [{ bearer: [] }],
      request: {
        headers: IdempotencyHeaders,
        body: { content: { 'application/json': { schema: BacktestRequest } }, required: true },
      },
      responses: {
        201: {
          description: 'Completed inline (or from a stored result)',
          content: { 'application/json': { schema: BacktestRunResponse } },
        },
        202: {
          description: 'Queued; poll the Location',
          content: { 'application/json': { schema: JobEnvelope } },
        },
        ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const req = c.req.valid('json');
      if ('name' in req.strategy && req.strategy.name === 'prediction')
        await assertFlag(c, 'backtests.strategy.prediction', 'The prediction strategy');
      const flags = await requestFlags(c);
      const ctx: SubmitContext = {
        env: c.env,
        keyId,
        traceId: c.get('traceId'),
        idempotencyKey: c.req.valid('header')['idempotency-key'] ?? null,
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        // `backtests.execution` = queued: every run goes through the queue, even one that could answer inline.
        queueAll: flags.getStringValue('backtests.execution', 'auto') === 'queued',
      };
      const s = await submitBacktest(ctx, req);
      const replay: Record<string, string> = s.replayed ? { 'idempotent-replayed': 'true' } : {};
      if (s.kind === 'completed') {
        return c.json({ ...s.body, traceId: c.get('traceId') }, 201, {
          location: s.body.links.self,
          ...replay,
        });
      }
      return c.json({ job: await jobViewWithResult(c.env, s.job) }, 202, {
        location: `/api/v1/backtests/${s.job.id}`,
        ...replay,
      });
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['backtests'],
      summary: "The key's backtests, newest first.",
      security: [{ bearer: [] }],
      request: { query: ListQuery },
      responses: {
        200: { description: 'One page of jobs', content: { 'application/json': { schema: JobList } } },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const { limit, cursor } = c.req.valid('query');
      const page = await listJobs(c.env, keyId, limit, cursor);
      return c.json({ data: await jobViewsWithResults(c.env, page.rows), nextCursor: page.nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags: ['backtests'],
      summary: 'A backtest job: status, progress and, once completed, its statistics.',
      security: [{ bearer: [] }],
      request: { params: BacktestIdParam },
      responses: {
        200: { description: 'The job', content: { 'application/json': { schema: JobEnvelope } } },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const job = await requireJob(c.env, keyId, c.req.valid('param').id);
      return c.json({ job: await jobViewWithResult(c.env, job) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/trades',
      tags: ['backtests'],
      summary: "A completed backtest's closed trades, paged.",
      security: [{ bearer: [] }],
      request: { params: BacktestIdParam, query: PageQuery },
      responses: {
        200: { description: 'One page of trades', content: { 'application/json': { schema: TradesPage } } },
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const job = await requireCompleted(c.env, keyId, c.req.valid('param').id);
      const { limit, cursor } = c.req.valid('query');
      const scope = `trades:${job.id}`;
      const offset = cursor === undefined ? 0 : decodeCursor(cursor, scope, TradeOffset);
      const head = (await resultHeads(c.env, [job.contentHash])).get(job.contentHash);
      const total = head?.tradeCount ?? 0;
      const data = await readTrades(c.env, job.contentHash, offset, limit);
      const next = offset + data.length < total ? encodeCursor(scope, offset + data.length) : null;
      return c.json({ data, total, nextCursor: next }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/equity',
      tags: ['backtests'],
      summary: "A completed backtest's equity curve, downsampled (LTTB) to `points` for charts.",
      security: [{ bearer: [] }],
      request: { params: BacktestIdParam, query: EquityQuery },
      responses: {
        200: { description: 'The curve', content: { 'application/json': { schema: EquityResponse } } },
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const job = await requireCompleted(c.env, keyId, c.req.valid('param').id);
      const stored = await readResult(c.env, job.contentHash);
      if (!stored) throw new ApiError('internal', 'A completed backtest has no stored result.');
      const equity = equityForChart(stored.equity, c.req.valid('query').points);
      return c.json({ id: job.id, points: equity.t.length, equity }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      tags: ['backtests'],
      summary: 'Cancel a queued or running backtest (its consumer stops at the next checkpoint).',
      security: [{ bearer: [] }],
      request: { params: BacktestIdParam },
      responses: {
        200: { description: 'The cancelled job', content: { 'application/json': { schema: JobEnvelope } } },
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const { keyId } = principalOf(c);
      const job = await cancelJob(c.env, keyId, c.req.valid('param').id);
      return c.json({ job: jobView(job) }, 200);
    },
  );

async function requireCompleted(env: Env, keyId: string, id: string): Promise<JobRow> {
  const job = await requireJob(env, keyId, id);
  if (job.status !== 'completed') {
    throw new ApiError('conflict', `Backtest ${id} is ${job.status}; results exist once it completes.`, {
      details: { status: job.status },
    });
  }
  return job;
}

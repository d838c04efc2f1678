/**
 * `/api/v1/predictions` (scope `trade`).
 * - Bars: `1h` predicts one hourly bar ahead on hourly bars aggregated from 1m bars inside D1;
 *   `1d` one daily bar ahead on daily bars. Only closed bars are read.
 * - Models: inference uses the newest `ready` version in D1 (weights parsed once per version per
 *   isolate, KV hot copy). Training runs on the `skippy-training` queue (expired model seen by a
 *   request, or the cron for expired/missing models). A symbol with no model at all is trained
 *   inline once (≈0.05–0.2 s with its walk-forward evaluation) and nothing is enqueued; an expired
 *   model keeps answering, flagged `modelExpired: true`, while its retraining job is queued.
 * - Cache: per (symbol, horizon, last closed bar) in isolate memory and KV, valid only for the
 *   model version that produced it; the last closed bar and the model head are read from D1 on
 *   every request (one query), so a new bar or version is never masked by the cache.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { hasScope } from '../../platform/auth/api-keys';
import { ApiError, httpCode, zodIssues } from '../../platform/errors';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { childSpan, formatTraceparent } from '../../platform/trace';
import { errorResponses, SymbolCode, SymbolParam } from '../../schema/contracts/common';
import {
  type BatchPredictionItem,
  BatchPredictionRequest,
  BatchPredictionResponse,
  EvaluationQuery,
  EvaluationResponse,
  PredictionQuery,
  PredictionResponse,
  TrainingStatus,
} from '../../schema/contracts/predictions';
import type { AppEnv } from '../app-env';
import { assertFlag } from '../middleware/flags';
import { createRouter } from '../router';
import { getEvaluation, getPrediction, type PredictionDeps } from './prediction-inference';
import { trainingCounts } from './prediction-training';

/** Symbols of a batch predicted at once: inline trainings are CPU-bound, so keep the fan-out small. */
const BATCH_CONCURRENCY = 4;

function depsOf(c: Context<AppEnv>, bypass = false): PredictionDeps {
  const trace = c.get('trace');
  return {
    env: c.env,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    bypass,
    ...(trace ? { traceparent: formatTraceparent(childSpan(trace)) } : {}),
  };
}

export const predictionsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/training/status',
      tags: ['predictions'],
      summary: 'Depth of the model training queue (jobs recorded in D1).',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'Queued and running jobs, and jobs finished in the last hour',
          content: { 'application/json': { schema: TrainingStatus } },
        },
        ...errorResponses(401, 403, 429, 503),
      },
    }),
    async (c) => c.json({ ...(await trainingCounts(c.env, Date.now())), traceId: c.get('traceId') }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{symbol}',
      tags: ['predictions'],
      summary:
        'Ensemble prediction for the next bar of the horizon, from the last closed bar, with each agent’s vote.',
      security: [{ bearer: [] }],
      request: { params: SymbolParam, query: PredictionQuery },
      responses: {
        200: {
          description: 'The prediction',
          content: { 'application/json': { schema: PredictionResponse } },
        },
        ...errorResponses(400, 401, 403, 404, 422, 429, 503),
      },
    }),
    async (c) => {
      const { symbol } = c.req.valid('param');
      const { horizon, nocache } = c.req.valid('query');
      const principal = c.get('principal');
      if (nocache && !(principal && hasScope(principal, 'admin'))) {
        throw new ApiError('forbidden', '`nocache` is reserved for admin keys.', {
          details: { required: 'admin' },
        });
      }
      const deps = depsOf(c, nocache !== undefined);
      await requireKnownSymbol(c.env, deps.waitUntil, symbol);
      const prediction = await getPrediction(deps, symbol, horizon);
      return c.json({ ...prediction, traceId: c.get('traceId') }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{symbol}/evaluation',
      tags: ['predictions'],
      summary: 'Walk-forward out-of-sample evaluation of each agent and the ensemble beside naive baselines.',
      security: [{ bearer: [] }],
      request: { params: SymbolParam, query: EvaluationQuery },
      responses: {
        200: {
          description: 'The evaluation stored with the current model',
          content: { 'application/json': { schema: EvaluationResponse } },
        },
        ...errorResponses(400, 401, 403, 404, 422, 429, 503),
      },
    }),
    async (c) => {
      const { symbol } = c.req.valid('param');
      const { horizon } = c.req.valid('query');
      await assertFlag(c, 'predictions.evaluation', 'The evaluation endpoint');
      const deps = depsOf(c);
      await requireKnownSymbol(c.env, deps.waitUntil, symbol);
      const r = await getEvaluation(deps, symbol, horizon);
      return c.json(
        {
          symbol,
          horizon,
          modelVersion: r.head.version,
          trainedAt: new Date(r.head.trainedAt).toISOString(),
          evaluation: r.evaluation,
          cached: r.cached,
          traceId: c.get('traceId'),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['predictions'],
      summary: 'Predictions for up to 50 symbols: one result or one error per symbol, in request order.',
      security: [{ bearer: [] }],
      request: {
        body: { content: { 'application/json': { schema: BatchPredictionRequest } }, required: true },
      },
      responses: {
        200: {
          description: 'Per-symbol results',
          content: { 'application/json': { schema: BatchPredictionResponse } },
        },
        ...errorResponses(400, 401, 403, 413, 429, 503),
      },
    }),
    async (c) => {
      const { symbols, horizon } = c.req.valid('json');
      const deps = depsOf(c);
      const results: BatchPredictionItem[] = new Array(symbols.length);
      let next = 0;
      const worker = async () => {
        while (next < symbols.length) {
          const i = next++;
          results[i] = await predictOne(c, deps, symbols[i] ?? '', horizon);
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, symbols.length) }, worker));
      return c.json({ horizon, results, traceId: c.get('traceId') }, 200);
    },
  );

async function predictOne(
  c: Context<AppEnv>,
  deps: PredictionDeps,
  raw: string,
  horizon: '1h' | '1d',
): Promise<BatchPredictionItem> {
  const code = SymbolCode.safeParse(raw);
  if (!code.success) {
    return {
      symbol: raw,
      ok: false,
      error: { code: 'validation_failed', message: 'Invalid symbol.', details: zodIssues(code.error.issues) },
    };
  }
  try {
    await requireKnownSymbol(c.env, deps.waitUntil, code.data);
    return { symbol: code.data, ok: true, prediction: await getPrediction(deps, code.data, horizon) };
  } catch (err) {
    if (!(err instanceof ApiError)) {
      c.get('logger')?.error('batch prediction failed', {
        symbol: code.data,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      return {
        symbol: code.data,
        ok: false,
        error: { code: 'internal', message: 'Internal error; it has been logged with this trace id.' },
      };
    }
    return {
      symbol: code.data,
      ok: false,
      error: {
        code: httpCode(err.code),
        message: err.message,
        ...(err.details !== undefined ? { details: err.details } : {}),
      },
    };
  }
}

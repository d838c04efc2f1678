import { BacktestInputError } from '../../engine/backtest/errors';
import { ENGINE_VERSION } from '../../engine/backtest/version';
import type { OhlcvSeries } from '../../engine/data/bars';
import { config } from '../../platform/config';
import { ApiError, dependency } from '../../platform/errors';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { recordBacktestJob } from '../../platform/metrics/events';
import type {
  BacktestMessage,
  BacktestRequest,
  BacktestRunResponse,
  TradeJson,
} from '../../schema/contracts/backtests';
import {
  checkBarLimits,
  type DataSummary,
  isStored,
  loadStoredSeries,
  maxPossibleBars,
  seriesFromInline,
  summarizeInline,
  summarizeLoaded,
  summarizeStored,
  summaryOfDigest,
} from './backtest-data';
import { type InlineLoad, loadsInOneQuery, loadWithCandidates } from './backtest-inline-load';
import {
  findByIdempotencyKey,
  insertCompleted,
  insertQueued,
  type JobRow,
  jobView,
  markEnqueueFailed,
  type NewJob,
  parseStoredRequest,
} from './backtest-jobs';
import {
  canonicalJson,
  computeResult,
  contentHash,
  equityForChart,
  type ResultPayload,
  readResultWithTrades,
  requestKey,
  type StoredResult,
  storedWithTrades,
} from './backtest-results';

/** Trades included in an inline answer; the rest are paged at `/:id/trades`. */
export const INLINE_TRADES = 1_000;

export interface SubmitContext {
  env: Env;
  keyId: string;
  traceId: string;
  idempotencyKey: string | null;
  waitUntil: (p: Promise<unknown>) => void;
  /** Queue the run whatever its size (the `backtests.execution` flag's `queued` variant). */
  queueAll?: boolean;
}

/** How a submission was answered: 201 with the result, or 202 with the queued job. */
export type Submission =
  | { kind: 'completed'; body: Omit<BacktestRunResponse, 'traceId'>; replayed: boolean }
  | { kind: 'queued'; job: JobRow; replayed: boolean };

/** Bars at or under which a run answers inline (`INLINE_BACKTEST_MAX_BARS`). */
export function inlineMaxBars(env: Env): number {
  return config(env).INLINE_BACKTEST_MAX_BARS;
}

/** Largest run accepted at all (`BACKTEST_MAX_BARS`). */
export function maxBars(env: Env): number {
  return config(env).BACKTEST_MAX_BARS;
}

/**
 * Accepts a backtest: replays an idempotent retry, answers from a stored result when the
 * content hash matches (no engine run), runs small series inline and queues the rest.
 */
export async function submitBacktest(ctx: SubmitContext, req: BacktestRequest): Promise<Submission> {
  const { env } = ctx;
  const request = canonicalJson(req);
  if (ctx.idempotencyKey) {
    const prior = await replayIdempotent(ctx, request);
    if (prior) return prior;
  }
  // Bars ≤ 0 never answer inline: `queueAll` sends even the smallest run through the queue.
  const inlineMax = ctx.queueAll ? -1 : inlineMaxBars(env);
  const now = Date.now();
  const key = await requestKey(req);
  let series: OhlcvSeries | null = null;
  let prefetched: InlineLoad | null = null;
  let summary: DataSummary;
  if (isStored(req.data)) {
    await requireKnownSymbol(env, ctx.waitUntil, req.data.symbol);
    const bound = maxPossibleBars(req.data, now);
    if (bound <= inlineMax && loadsInOneQuery(req.data)) {
      // Small by its bounds: bars and cache candidates in one round trip, no count query.
      prefetched = await loadWithCandidates(env, req.data, bound, key, INLINE_TRADES, now);
      series = prefetched.series;
      summary = summaryOfDigest(req.data, series.close.length, prefetched.digest);
    } else if (bound <= inlineMax) {
      series = await loadStoredSeries(env, req.data, bound);
      if (!series) throw new ApiError('internal', 'Loading bars was interrupted.');
      summary = await summarizeLoaded(req.data, series);
    } else {
      summary = await summarizeStored(env, req.data);
    }
  } else {
    summary = await summarizeInline(req.data);
  }
  checkBarLimits(summary, maxBars(env));
  const hash = await contentHash(req, summary);
  const job: NewJob = {
    keyId: ctx.keyId,
    request,
    contentHash: hash,
    bars: summary.bars,
    idempotencyKey: ctx.idempotencyKey,
    traceId: ctx.traceId,
  };

  const stored = prefetched
    ? cachedFrom(prefetched, hash)
    : await readResultWithTrades(env, hash, INLINE_TRADES);
  if (stored) {
    const { row, created } = await insertCompleted(env, job, true);
    if (!created) return answerFor(ctx, row, req.equityPoints, true);
    recordBacktestJob('inline', Date.now() - now);
    return {
      kind: 'completed',
      replayed: false,
      body: runBody(row, stored.result, stored.trades, req.equityPoints),
    };
  }
  if (summary.bars > inlineMax) {
    const { row, created } = await insertQueued(env, job);
    if (created) await enqueue(env, { jobId: row.id, traceId: ctx.traceId }, row.id);
    return created
      ? { kind: 'queued', job: row, replayed: false }
      : answerFor(ctx, row, req.equityPoints, true);
  }

  if (!series)
    series = isStored(req.data)
      ? await loadStoredSeries(env, req.data, summary.bars)
      : seriesFromInline(req.data);
  if (!series || series.close.length === 0)
    throw new ApiError('unprocessable', 'No bars in the requested range.');
  let result: ResultPayload;
  try {
    result = computeResult(series, req, hash, key);
  } catch (err) {
    if (err instanceof BacktestInputError) {
      throw new ApiError('validation_failed', err.message, {
        details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    throw err;
  }
  // Stored before answering, not in waitUntil: the answer links to `/:id`, and a GET that
  // reaches another isolate before a deferred write lands could only answer 404. One batch,
  // one transaction: the job never shows completed without its result.
  const { row, created } = await insertCompleted(env, { ...job, bars: result.bars }, false, result);
  if (!created) return answerFor(ctx, row, req.equityPoints, true);
  recordBacktestJob('inline', Date.now() - now);
  const head: StoredResult = {
    engineVersion: ENGINE_VERSION,
    stats: result.stats,
    openTrades: result.openTrades,
    tradeCount: result.trades.length,
    equity: result.equity,
    bars: result.bars,
  };
  return {
    kind: 'completed',
    replayed: false,
    body: runBody(row, head, result.trades.slice(0, INLINE_TRADES), req.equityPoints),
  };
}

function cachedFrom(load: InlineLoad, hash: string) {
  const head = load.candidates.find((c) => c.contentHash === hash);
  return head ? storedWithTrades(head, load.tradeRows, INLINE_TRADES) : null;
}

function runBody(
  row: JobRow,
  r: StoredResult,
  trades: TradeJson[],
  points: number,
): Omit<BacktestRunResponse, 'traceId'> {
  return {
    ...jobView(row, { stats: r.stats, tradeCount: r.tradeCount }),
    engineVersion: r.engineVersion,
    trades,
    tradesTruncated: r.tradeCount > trades.length,
    openTrades: r.openTrades,
    equity: equityForChart(r.equity, points),
  };
}

async function replayIdempotent(ctx: SubmitContext, request: string): Promise<Submission | null> {
  const prior = ctx.idempotencyKey
    ? await findByIdempotencyKey(ctx.env, ctx.keyId, ctx.idempotencyKey)
    : null;
  if (!prior) return null;
  if (prior.request !== request) {
    throw new ApiError('conflict', 'This Idempotency-Key was used with a different request.', {
      details: { id: prior.id },
    });
  }
  const points = parseStoredRequest(prior)?.equityPoints ?? 500;
  return answerFor(ctx, prior, points, true);
}

/** The answer for an existing job: its result when completed, else the job to poll. */
async function answerFor(
  ctx: SubmitContext,
  row: JobRow,
  points: number,
  replayed: boolean,
): Promise<Submission> {
  if (row.status !== 'completed') return { kind: 'queued', job: row, replayed };
  const stored = await readResultWithTrades(ctx.env, row.contentHash, INLINE_TRADES);
  if (!stored) throw new ApiError('internal', 'A completed backtest has no stored result.');
  return { kind: 'completed', replayed, body: runBody(row, stored.result, stored.trades, points) };
}

async function enqueue(env: Env, message: BacktestMessage, jobId: string): Promise<void> {
  try {
    await dependency('backtests-queue', () => env.BACKTEST_QUEUE.send(message));
  } catch (err) {
    await markEnqueueFailed(env, jobId, err instanceof Error ? err.message : String(err));
    throw new ApiError('dependency_failed', 'The backtest queue is unavailable; retry shortly.');
  }
}

import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../engine/random';
import { setFaults } from '../../platform/d1/faults';
import { readBars } from '../../platform/market/market-data';
import worker from '../../workers/index';
import { FLUSH_GRACE_MS, loadSeries } from '../../workers/predictions/prediction-series';
import { scheduleRetraining } from '../../workers/predictions/prediction-training';
import { consumeTraining } from '../../workers/predictions/training-consumer';
import { api, json, makeKey, seedSymbols } from './helpers';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 2);

interface Prediction {
  symbol: string;
  horizon: string;
  barTimeframe: string;
  direction: string;
  probability: number;
  probabilityUp: number;
  expectedReturn: { mean: number; lower: number; upper: number; level: number };
  votes: Array<{ name: string; direction: string; probability: number; weight: number }>;
  modelVersion: string;
  trainedAt: string;
  asOf: string;
  asOfBarTime: number;
  expiresAt: string;
  modelExpired: boolean;
  outlier: { flag: boolean; score: number; threshold: number };
  cached: boolean;
  traceId: string;
}

interface ErrorBody {
  error: { code: string; message: string; details?: { required?: number; available?: number } };
}

let tradeKey: string;
let adminKey: string;
const closes = new Map<string, number>();

/** A seeded random walk of daily bars for `symbol`, bars [from, to). */
async function insertDaily(symbol: string, from: number, to: number, seed: number): Promise<void> {
  const rnd = mulberry32(seed * 1000 + from);
  let close = closes.get(symbol) ?? 100;
  const stmts = [];
  for (let i = from; i < to; i++) {
    const open = close;
    close = open * Math.exp((rnd() - 0.5) * 0.04);
    stmts.push(
      env.DB.prepare(
        'INSERT OR REPLACE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
      ).bind(
        symbol,
        '1d',
        START + i * DAY,
        open,
        Math.max(open, close) * 1.005,
        Math.min(open, close) * 0.995,
        close,
        1_000 + Math.floor(rnd() * 500),
      ),
    );
  }
  closes.set(symbol, close);
  for (let i = 0; i < stmts.length; i += 200) await env.DB.batch(stmts.slice(i, i + 200));
}

function predictionOf(symbol: string, query = 'horizon=1d', key = tradeKey): Promise<Response> {
  return api(`/api/v1/predictions/${symbol}?${query}`, { key });
}

beforeAll(async () => {
  await seedSymbols();
  tradeKey = await makeKey(['read', 'trade']);
  adminKey = await makeKey(['admin']);
  await insertDaily('NVDA', 0, 600, 1);
  await insertDaily('TSLA', 0, 300, 2);
  await insertDaily('SPY', 0, 50, 3);
});

describe('GET /api/v1/predictions/:symbol', () => {
  it('answers the ensemble call with every agent vote, the model and the as-of bar, then serves it from cache until a new bar closes', async () => {
    const res = await predictionOf('NVDA');
    expect(res.status).toBe(200);
    const first = await json<Prediction>(res);
    expect(first).toMatchObject({
      symbol: 'NVDA',
      horizon: '1d',
      barTimeframe: '1d',
      cached: false,
      modelExpired: false,
    });
    expect(['up', 'flat', 'down']).toContain(first.direction);
    expect(first.probability).toBeGreaterThanOrEqual(0.5);
    expect(first.probability).toBeLessThanOrEqual(1);
    expect(first.expectedReturn.lower).toBeLessThanOrEqual(first.expectedReturn.mean);
    expect(first.expectedReturn.upper).toBeGreaterThanOrEqual(first.expectedReturn.mean);
    expect(first.votes.map((v) => v.name)).toEqual(['trend', 'meanReversion', 'volatilityRegime', 'learned']);
    expect(first.votes.reduce((s, v) => s + v.weight, 0)).toBeCloseTo(1, 6);
    expect(first.modelVersion).toMatch(/^agents-1-/);
    expect(first.asOfBarTime).toBe(START + 599 * DAY);
    expect(first.asOf).toBe(new Date(START + 599 * DAY).toISOString());
    // The history ends long ago: the next session close has passed, so the expiry is the next one after now.
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now());
    expect(typeof first.outlier.flag).toBe('boolean');
    expect(first.traceId).toBe(res.headers.get('x-trace-id'));

    const stored = await env.DB.prepare(
      "SELECT version, status FROM models WHERE symbol = 'NVDA' AND horizon = '1d'",
    ).all();
    expect(stored.results).toEqual([{ version: first.modelVersion, status: 'ready' }]);

    const second = await json<Prediction>(await predictionOf('NVDA'));
    expect(second.cached).toBe(true);
    const { cached: _a, traceId: _b, ...rest } = second;
    const { cached: _c, traceId: _d, ...expected } = first;
    expect(rest).toEqual(expected);

    // A new closed bar is a new cache key: the answer moves to it, computed, not served from cache.
    await insertDaily('NVDA', 600, 601, 1);
    const third = await json<Prediction>(await predictionOf('NVDA'));
    expect(third.cached).toBe(false);
    expect(third.asOfBarTime).toBe(START + 600 * DAY);
    expect(third.modelVersion).toBe(first.modelVersion);
  });

  it('lets admins bypass the cache and refuses that to other keys', async () => {
    await predictionOf('NVDA');
    const bypass = await predictionOf('NVDA', 'horizon=1d&nocache=1', adminKey);
    expect(bypass.status).toBe(200);
    expect((await json<Prediction>(bypass)).cached).toBe(false);
    expect((await predictionOf('NVDA', 'horizon=1d&nocache=1')).status).toBe(403);
  });

  it('never reads a bar that has not closed yet', async () => {
    const now = Date.now();
    const ts = Math.floor(now / DAY) * DAY;
    await env.DB.prepare(
      'INSERT OR REPLACE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
    )
      .bind('TSLA', '1d', ts, 1, 1, 1, 1, 1)
      .run();
    const body = await json<Prediction>(await predictionOf('TSLA'));
    expect(body.asOfBarTime).toBe(START + 299 * DAY);
  });

  it('predicts 1h on hourly bars aggregated from 1-minute bars, closed hours only', async () => {
    const now = Date.now();
    const currentHour = Math.floor(now / HOUR) * HOUR;
    const rnd = mulberry32(7);
    let close = 2_000;
    const stmts = [];
    for (let h = 150; h >= 0; h--) {
      for (const minute of [0, 30, 59]) {
        const open = close;
        close = open * Math.exp((rnd() - 0.5) * 0.01);
        const ts = currentHour - h * HOUR + minute * 60_000;
        if (ts > now - 60_000) continue;
        stmts.push(
          env.DB.prepare(
            'INSERT OR REPLACE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
          ).bind('ETH-USD', '1m', ts, open, Math.max(open, close), Math.min(open, close), close, 1),
        );
      }
    }
    for (let i = 0; i < stmts.length; i += 200) await env.DB.batch(stmts.slice(i, i + 200));
    const res = await predictionOf('ETH-USD', 'horizon=1h');
    expect(res.status).toBe(200);
    const body = await json<Prediction>(res);
    expect(body).toMatchObject({ horizon: '1h', barTimeframe: '1h' });
    // The hour in progress is excluded even though it already has 1-minute bars (and the hour
    // just ended only once the rooms' flush grace has passed).
    const newestClosed = Math.floor((now - FLUSH_GRACE_MS) / HOUR) * HOUR - HOUR;
    expect(body.asOfBarTime).toBe(newestClosed);
    expect(body.votes).toHaveLength(4);

    // The hourly bars aggregated inside D1 equal the bars API's aggregation of the same 1m bars.
    const series = await loadSeries(env, 'ETH-USD', '1h', newestClosed, 50);
    const reference = await readBars(env, {
      symbol: 'ETH-USD',
      timeframe: '1h',
      to: newestClosed + HOUR - 1,
      limit: 50,
      direction: 'backward',
    });
    expect(Array.from(series.time)).toEqual(reference.rows.map((r) => r.time));
    expect(Array.from(series.open)).toEqual(reference.rows.map((r) => r.open));
    expect(Array.from(series.close)).toEqual(reference.rows.map((r) => r.close));
    expect(Array.from(series.high)).toEqual(reference.rows.map((r) => r.high));
  });

  it('answers 404 for an unknown symbol, 400 for a bad horizon or symbol, 422 with the history needed', async () => {
    const unknown = await predictionOf('ZZZZ');
    expect(unknown.status).toBe(404);
    expect((await json<ErrorBody>(unknown)).error.code).toBe('not_found');

    const badHorizon = await predictionOf('NVDA', 'horizon=2h');
    expect(badHorizon.status).toBe(400);
    expect((await json<ErrorBody>(badHorizon)).error.code).toBe('validation_failed');
    expect((await predictionOf('nvda!')).status).toBe(400);

    const short = await predictionOf('SPY');
    expect(short.status).toBe(422);
    const body = await json<ErrorBody>(short);
    expect(body.error.code).toBe('insufficient_history');
    expect(body.error.details).toMatchObject({ required: 103, available: 50 });
    expect(body.error.message).toContain('103');

    const none = await predictionOf('DOGE-USD', 'horizon=1h');
    expect(none.status).toBe(422);
    expect((await json<ErrorBody>(none)).error.details).toMatchObject({ available: 0 });
  });

  it('requires a key with the trade scope', async () => {
    expect((await api('/api/v1/predictions/NVDA')).status).toBe(401);
    const readOnly = await makeKey(['read']);
    expect((await predictionOf('NVDA', 'horizon=1d', readOnly)).status).toBe(403);
    expect((await api('/api/v1/predictions', { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('GET /api/v1/predictions/:symbol/evaluation', () => {
  it('serves the walk-forward evaluation of every agent, the ensemble and the baselines stored with the model', async () => {
    const prediction = await json<Prediction>(await predictionOf('NVDA'));
    const res = await api('/api/v1/predictions/NVDA/evaluation?horizon=1d', { key: tradeKey });
    expect(res.status).toBe(200);
    const body = await json<{
      modelVersion: string;
      evaluation: {
        horizon: number;
        retrains: number;
        ensemble: { count: number; hitRate: number | null; brier: number; logLoss: number };
        agents: Record<string, { count: number; brier: number; logLoss: number }>;
        baselines: Record<string, { count: number; logLoss: number }>;
      };
    }>(res);
    expect(body.modelVersion).toBe(prediction.modelVersion);
    const e = body.evaluation;
    expect(e.horizon).toBe(1);
    expect(e.retrains).toBeGreaterThan(5);
    expect(e.ensemble.count).toBeGreaterThan(300);
    expect(e.ensemble.brier).toBeGreaterThan(0);
    expect(e.ensemble.logLoss).toBeGreaterThan(0);
    expect(Object.keys(e.agents).sort()).toEqual(['learned', 'meanReversion', 'trend', 'volatilityRegime']);
    expect(Object.keys(e.baselines).sort()).toEqual(['alwaysUp', 'baseRate', 'persistence']);
    // Always-up at P = 0.5 scores exactly ln 2 per row.
    expect(e.baselines.alwaysUp!.logLoss).toBeCloseTo(Math.LN2, 6);
  });
});

describe('training', () => {
  it('retrains through the training queue: a new version is stored, the old one retired, and inference uses it', async () => {
    const before = await json<Prediction>(await predictionOf('NVDA'));
    await insertDaily('NVDA', 601, 620, 1);
    const jobId = 'train_test_nvda';
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO training_jobs (id, symbol, horizon, status, created_at, updated_at) VALUES (?, 'NVDA', '1d', 'queued', ?, ?)",
    )
      .bind(jobId, now, now)
      .run();

    // Through the Worker's own queue handler (the dispatcher), as the queue would deliver it.
    const batch = createMessageBatch('skippy-training', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { jobId, symbol: 'NVDA', horizon: '1d' } },
      { id: 'm2', timestamp: new Date(), attempts: 1, body: { nonsense: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect([...result.explicitAcks].sort()).toEqual(['m1', 'm2']);
    expect(result.retryMessages).toEqual([]);

    const rows = await env.DB.prepare(
      "SELECT version, status, trained_through FROM models WHERE symbol = 'NVDA' AND horizon = '1d' ORDER BY trained_at",
    ).all<{
      version: string;
      status: string;
      trained_through: number;
    }>();
    const ready = rows.results.filter((r) => r.status === 'ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]!.version).not.toBe(before.modelVersion);
    expect(ready[0]!.trained_through).toBe(START + 619 * DAY);
    expect(rows.results.find((r) => r.version === before.modelVersion)?.status).toBe('retired');
    const job = await env.DB.prepare('SELECT status FROM training_jobs WHERE id = ?')
      .bind(jobId)
      .first<{ status: string }>();
    expect(job?.status).toBe('completed');

    const after = await json<Prediction>(await predictionOf('NVDA'));
    expect(after.modelVersion).toBe(ready[0]!.version);
    expect(after.asOfBarTime).toBe(START + 619 * DAY);
  });

  it('records a permanent failure (too little history) without retrying', async () => {
    const batch = createMessageBatch('skippy-training', [
      {
        id: 'm3',
        timestamp: new Date(),
        attempts: 1,
        body: { jobId: 'train_test_spy', symbol: 'SPY', horizon: '1d' },
      },
    ]);
    await env.DB.prepare(
      "INSERT INTO training_jobs (id, symbol, horizon, status, created_at, updated_at) VALUES ('train_test_spy', 'SPY', '1d', 'queued', 0, 0)",
    ).run();
    await consumeTraining(batch, env);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.explicitAcks).toEqual(['m3']);
    const job = await env.DB.prepare(
      "SELECT status, error FROM training_jobs WHERE id = 'train_test_spy'",
    ).first<{ status: string; error: string }>();
    expect(job?.status).toBe('failed');
    expect(job?.error).toContain('103');
  });

  it('flags an expired model, still answers from it, and enqueues one retraining job', async () => {
    await predictionOf('TSLA');
    await env.DB.prepare("UPDATE models SET expires_at = ? WHERE symbol = 'TSLA' AND horizon = '1d'")
      .bind(Date.now() - 1_000)
      .run();
    const res = await predictionOf('TSLA');
    expect(res.status).toBe(200);
    const body = await json<Prediction>(res);
    expect(body.modelExpired).toBe(true);
    expect(body.modelVersion).toMatch(/^agents-1-/);
    const jobs = await env.DB.prepare(
      "SELECT status FROM training_jobs WHERE symbol = 'TSLA' AND horizon = '1d'",
    ).all();
    expect(jobs.results).toHaveLength(1);

    // The real queue delivers the job to the Worker's consumer, which retrains the model.
    await vi.waitFor(
      async () => {
        const job = await env.DB.prepare(
          "SELECT status FROM training_jobs WHERE symbol = 'TSLA' AND horizon = '1d'",
        ).first<{ status: string }>();
        expect(job?.status).toBe('completed');
      },
      { timeout: 20_000, interval: 200 },
    );
    const fresh = await json<Prediction>(await predictionOf('TSLA'));
    expect(fresh.modelExpired).toBe(false);

    const again = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM training_jobs WHERE symbol = 'TSLA' AND horizon = '1d'",
    ).first<{ n: number }>();
    expect(again?.n).toBe(1);

    const status = await json<{
      queued: number;
      running: number;
      completedLastHour: number;
      failedLastHour: number;
    }>(await api('/api/v1/predictions/training/status', { key: tradeKey }));
    expect(status.queued + status.running + status.completedLastHour).toBeGreaterThanOrEqual(1);
    expect(status.failedLastHour).toBeGreaterThanOrEqual(1);
  });

  it('the cron enqueues retraining for missing or expired models, bounded per run', async () => {
    const now = Date.now();
    const enqueued = await scheduleRetraining(env, now, 3);
    expect(enqueued).toBe(3);
    const jobs = await env.DB.prepare('SELECT COUNT(*) AS n FROM training_jobs WHERE created_at = ?')
      .bind(now)
      .first<{ n: number }>();
    expect(jobs?.n).toBe(3);
    // NVDA has a fresh model and TSLA a recent job: neither is picked again.
    const picked = await env.DB.prepare(
      "SELECT symbol FROM training_jobs WHERE created_at = ? AND symbol IN ('NVDA', 'TSLA')",
    )
      .bind(now)
      .all();
    expect(picked.results).toEqual([]);
  });
});

describe('POST /api/v1/predictions', () => {
  it('answers per symbol, in order, with results and errors side by side', async () => {
    const res = await api('/api/v1/predictions', {
      method: 'POST',
      key: tradeKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbols: ['NVDA', 'ZZZZ', 'bad sym', 'SPY'], horizon: '1d' }),
    });
    expect(res.status).toBe(200);
    const body = await json<{
      horizon: string;
      results: Array<{ symbol: string; ok: boolean; prediction?: Prediction; error?: { code: string } }>;
    }>(res);
    expect(body.horizon).toBe('1d');
    expect(body.results.map((r) => [r.symbol, r.ok, r.error?.code])).toEqual([
      ['NVDA', true, undefined],
      ['ZZZZ', false, 'not_found'],
      ['bad sym', false, 'validation_failed'],
      ['SPY', false, 'insufficient_history'],
    ]);
    expect(body.results[0]!.prediction?.votes).toHaveLength(4);
  });

  it('rejects more than 50 symbols or a malformed body', async () => {
    const many = await api('/api/v1/predictions', {
      method: 'POST',
      key: tradeKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbols: Array.from({ length: 51 }, () => 'NVDA') }),
    });
    expect(many.status).toBe(400);
    const bad = await api('/api/v1/predictions', {
      method: 'POST',
      key: tradeKey,
      headers: { 'content-type': 'application/json' },
      body: '{"symbols":',
    });
    expect(bad.status).toBe(400);
  });
});

describe('when D1 fails', () => {
  it('answers 503 dependency_failed in the error shape, not a generic 500', async () => {
    await predictionOf('NVDA');
    await setFaults(env, {
      d1ErrorRate: 1,
      d1LatencyMs: 0,
      consumerCrashRate: 0,
      expiresAt: Date.now() + 60_000,
    });
    try {
      const res = await predictionOf('NVDA');
      expect(res.status).toBe(503);
      expect((await json<ErrorBody>(res)).error.code).toBe('dependency_failed');
    } finally {
      await setFaults(env, null);
    }
  });
});

import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../engine/backtest/run-backtest';
import { statsToJson, tradeToJson } from '../../engine/backtest/serialize';
import type { OhlcvSeries } from '../../engine/data/bars';
import { apiWith, DAY, type JobView, post, START, storeDaily, waitForStatus } from './backtests-support';
import { api, json, makeKey, seedSymbols } from './helpers';

let tradeKey: string;
let otherKey: string;
let readKey: string;
let aapl: OhlcvSeries;

const SMA = { name: 'sma-cross' as const, params: { fast: 10, slow: 30 } };

beforeAll(async () => {
  await seedSymbols();
  [tradeKey, otherKey, readKey] = await Promise.all([
    makeKey(['trade']),
    makeKey(['trade']),
    makeKey(['read']),
  ]);
  aapl = await storeDaily('AAPL', 600, 7);
  await storeDaily('MSFT', 300, 8);
});

type RunBody = JobView & {
  engineVersion: string;
  trades: Array<Record<string, unknown>>;
  tradesTruncated: boolean;
  equity: { t: number[]; v: number[] };
  traceId: string;
};

describe('POST /api/v1/backtests (inline)', () => {
  it('runs a stored range inline: 201 with the same statistics and trades as the engine run directly', async () => {
    const body = {
      data: { symbol: 'AAPL', timeframe: '1d' },
      strategy: SMA,
      cash: 10_000,
      commission: 0.001,
      equityPoints: 100,
    };
    const res = await api('/api/v1/backtests', post(body, tradeKey));
    expect(res.status).toBe(201);
    const run = await json<RunBody>(res);
    expect(res.headers.get('location')).toBe(`/api/v1/backtests/${run.id}`);
    expect(run).toMatchObject({
      status: 'completed',
      mode: 'inline',
      cached: false,
      progress: 1,
      bars: 600,
      strategy: 'sma-cross',
    });

    const direct = runBacktest({ series: aapl, strategy: SMA, cash: 10_000, commission: 0.001 });
    expect(run.stats).toEqual(statsToJson(direct.stats));
    expect(Object.keys(run.stats ?? {})).toEqual(
      expect.arrayContaining(['Return [%]', 'Sharpe Ratio', 'Max. Drawdown [%]', '# Trades', 'Win Rate [%]']),
    );
    expect(direct.trades.length).toBeGreaterThan(2);
    expect(run.trades).toEqual(JSON.parse(JSON.stringify(direct.trades.map(tradeToJson))));
    expect(run.tradeCount).toBe(direct.trades.length);
    expect(run.equity.t).toHaveLength(100);
    expect(run.equity.t[0]).toBe(START);
    expect(run.equity.t.at(-1)).toBe(START + 599 * DAY);
    expect(run.equity.v.at(-1)).toBeCloseTo(direct.equity[599] ?? Number.NaN, 6);

    // The job is stored: status, paged trades and a chart-sized equity curve.
    const got = await json<{ job: JobView }>(await api(`/api/v1/backtests/${run.id}`, { key: tradeKey }));
    expect(got.job).toMatchObject({
      id: run.id,
      status: 'completed',
      stats: run.stats,
      tradeCount: direct.trades.length,
    });

    const p1 = await json<{ data: unknown[]; total: number; nextCursor: string | null }>(
      await api(`/api/v1/backtests/${run.id}/trades?limit=2`, { key: tradeKey }),
    );
    expect(p1.data).toEqual(run.trades.slice(0, 2));
    expect(p1.total).toBe(direct.trades.length);
    expect(p1.nextCursor).not.toBeNull();
    const p2 = await json<{ data: unknown[] }>(
      await api(
        `/api/v1/backtests/${run.id}/trades?limit=2&cursor=${encodeURIComponent(p1.nextCursor ?? '')}`,
        { key: tradeKey },
      ),
    );
    expect(p2.data).toEqual(run.trades.slice(2, 4));

    const eq = await json<{ points: number; equity: { t: number[]; v: number[] } }>(
      await api(`/api/v1/backtests/${run.id}/equity?points=25`, { key: tradeKey }),
    );
    expect(eq.points).toBe(25);
    expect(eq.equity.t[0]).toBe(START);
  });

  it('answers an identical request from the stored result (cached: true) as a new job', async () => {
    const body = {
      data: { symbol: 'AAPL', timeframe: '1d' },
      strategy: { name: 'ema-cross', params: { fast: 8, slow: 21 } },
      cash: 5_000,
    };
    const first = await json<RunBody>(await api('/api/v1/backtests', post(body, tradeKey)));
    expect(first.cached).toBe(false);
    // Same content in another key order: the content hash is over canonical JSON.
    const reordered = {
      cash: 5_000,
      strategy: { params: { slow: 21, fast: 8 }, name: 'ema-cross' },
      data: { timeframe: '1d', symbol: 'AAPL' },
    };
    const res = await api('/api/v1/backtests', post(reordered, tradeKey));
    expect(res.status).toBe(201);
    const second = await json<RunBody>(res);
    expect(second.cached).toBe(true);
    expect(second.id).not.toBe(first.id);
    expect(second.stats).toEqual(first.stats);
    expect(second.trades).toEqual(first.trades);
    const results = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM backtest_results WHERE content_hash = (SELECT content_hash FROM backtests WHERE id = ?)',
    )
      .bind(first.id)
      .first<{ n: number }>();
    expect(results?.n).toBe(1);

    // New bars change the data fingerprint: no stale cache hit.
    await storeDaily('MSFT', 301, 8);
    const msft = { ...body, data: { symbol: 'MSFT', timeframe: '1d' } };
    const a = await json<RunBody>(await api('/api/v1/backtests', post(msft, tradeKey)));
    await env.DB.prepare("UPDATE bars SET close = close * 1.5 WHERE symbol = 'MSFT' AND ts = ?")
      .bind(START + 200 * DAY)
      .run();
    const b = await json<RunBody>(await api('/api/v1/backtests', post(msft, tradeKey)));
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(false);
    // A bounded range is loaded and fingerprinted from its bytes: same rule.
    const bounded = {
      ...body,
      data: { symbol: 'MSFT', timeframe: '1d', from: START, to: START + 400 * DAY },
    };
    const c = await json<RunBody>(await api('/api/v1/backtests', post(bounded, tradeKey)));
    const d = await json<RunBody>(await api('/api/v1/backtests', post(bounded, tradeKey)));
    await env.DB.prepare("UPDATE bars SET volume = volume + 1 WHERE symbol = 'MSFT' AND ts = ?")
      .bind(START + 100 * DAY)
      .run();
    const e = await json<RunBody>(await api('/api/v1/backtests', post(bounded, tradeKey)));
    expect([c.cached, d.cached, e.cached]).toEqual([false, true, false]);
    expect(d.trades).toEqual(c.trades);
    expect(d.stats).toEqual(c.stats);
    expect(c.trades.length).toBeGreaterThan(0);
    expect(c.bars).toBe(301);
  });

  it('accepts inline bars and a JSON rule set', async () => {
    const bars = Array.from({ length: aapl.close.length }, (_, i) => ({
      t: aapl.time[i],
      o: aapl.open[i],
      h: aapl.high[i],
      l: aapl.low[i],
      c: aapl.close[i],
      v: aapl.volume[i],
    }));
    const rules = {
      long: {
        entry: {
          left: { indicator: 'sma', period: 10 },
          op: 'crossesAbove',
          right: { indicator: 'sma', period: 30 },
        },
        exit: {
          left: { indicator: 'sma', period: 10 },
          op: 'crossesBelow',
          right: { indicator: 'sma', period: 30 },
        },
      },
    };
    const res = await api('/api/v1/backtests', post({ data: { bars }, strategy: { rules } }, tradeKey));
    expect(res.status).toBe(201);
    const run = await json<RunBody>(res);
    expect(run.strategy).toBe('rules');
    expect(run.stats).toEqual(statsToJson(runBacktest({ series: aapl, strategy: { rules } }).stats));
  });
});

describe('POST /api/v1/backtests (queued)', () => {
  it('queues a run over INLINE_BACKTEST_MAX_BARS: 202 + Location, the real queue runs it, results match the engine', async () => {
    const body = {
      data: { symbol: 'AAPL', timeframe: '1d' },
      strategy: { name: 'sma-cross' as const, params: { fast: 5, slow: 20 } },
    };
    const res = await apiWith({ INLINE_BACKTEST_MAX_BARS: '100' }, '/api/v1/backtests', post(body, tradeKey));
    expect(res.status).toBe(202);
    const { job } = await json<{ job: JobView }>(res);
    expect(res.headers.get('location')).toBe(`/api/v1/backtests/${job.id}`);
    expect(job).toMatchObject({ status: 'queued', mode: 'queued', progress: 0, stats: null, bars: 600 });

    await waitForStatus(job.id, 'completed');
    const done = await json<{ job: JobView }>(await api(`/api/v1/backtests/${job.id}`, { key: tradeKey }));
    const direct = runBacktest({ series: aapl, strategy: body.strategy });
    expect(done.job).toMatchObject({
      status: 'completed',
      progress: 1,
      attempts: 1,
      cached: false,
      tradeCount: direct.trades.length,
    });
    expect(done.job.stats).toEqual(statsToJson(direct.stats));
    const trades = await json<{ data: unknown[]; total: number }>(
      await api(`/api/v1/backtests/${job.id}/trades?limit=1000`, { key: tradeKey }),
    );
    expect(trades.data).toEqual(JSON.parse(JSON.stringify(direct.trades.map(tradeToJson))));
  });
});

describe('idempotency and ownership', () => {
  it('an Idempotency-Key retry returns the same job; reusing it for another request is 409; keys do not share them', async () => {
    const body = { data: { symbol: 'AAPL' }, strategy: { name: 'rsi-reversion', params: {} } };
    const idem = { 'idempotency-key': 'retry-123' };
    const a = await api('/api/v1/backtests', post(body, tradeKey, idem));
    const b = await api('/api/v1/backtests', post(body, tradeKey, idem));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const [ja, jb] = [await json<RunBody>(a), await json<RunBody>(b)];
    expect(jb.id).toBe(ja.id);
    expect(jb.stats).toEqual(ja.stats);

    const other = await api('/api/v1/backtests', post({ ...body, cash: 20_000 }, tradeKey, idem));
    expect(other.status).toBe(409);
    expect((await json<{ error: { code: string } }>(other)).error.code).toBe('conflict');

    const otherKeys = await json<RunBody>(await api('/api/v1/backtests', post(body, otherKey, idem)));
    expect(otherKeys.id).not.toBe(ja.id);

    const count = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM backtests WHERE idempotency_key = 'retry-123'",
    ).first<{ n: number }>();
    expect(count?.n).toBe(2);
  });

  it('a queued Idempotency-Key retry returns the same queued job and sends one message', async () => {
    const body = { data: { symbol: 'MSFT' }, strategy: { name: 'buy-and-hold', params: {} }, cash: 777 };
    const idem = { 'idempotency-key': 'queued-1' };
    const a = await apiWith(
      { INLINE_BACKTEST_MAX_BARS: '10' },
      '/api/v1/backtests',
      post(body, tradeKey, idem),
    );
    const b = await apiWith(
      { INLINE_BACKTEST_MAX_BARS: '10' },
      '/api/v1/backtests',
      post(body, tradeKey, idem),
    );
    const [ja, jb] = [await json<{ job: JobView }>(a), await json<{ job?: JobView; id?: string }>(b)];
    expect(a.status).toBe(202);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(jb.job?.id ?? jb.id).toBe(ja.job.id);
    await waitForStatus(ja.job.id, 'completed');
    expect(
      (await json<{ job: JobView }>(await api(`/api/v1/backtests/${ja.job.id}`, { key: tradeKey }))).job
        .attempts,
    ).toBe(1);
  });

  it("another key's job is 404 on every route, and lists show only the caller's jobs, newest first", async () => {
    const mine = await json<RunBody>(
      await api(
        '/api/v1/backtests',
        post({ data: { symbol: 'AAPL' }, strategy: { name: 'macd', params: {} } }, otherKey),
      ),
    );
    for (const path of [
      `/api/v1/backtests/${mine.id}`,
      `/api/v1/backtests/${mine.id}/trades`,
      `/api/v1/backtests/${mine.id}/equity`,
    ]) {
      const res = await api(path, { key: tradeKey });
      expect(res.status, path).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
    }
    expect((await api(`/api/v1/backtests/${mine.id}`, { method: 'DELETE', key: tradeKey })).status).toBe(404);

    const page1 = await json<{ data: JobView[]; nextCursor: string | null }>(
      await api('/api/v1/backtests?limit=2', { key: otherKey }),
    );
    expect(page1.data[0]?.id).toBe(mine.id);
    expect(page1.data).toHaveLength(2);
    const all: JobView[] = [...page1.data];
    let cursor = page1.nextCursor;
    while (cursor) {
      const p = await json<{ data: JobView[]; nextCursor: string | null }>(
        await api(`/api/v1/backtests?limit=2&cursor=${encodeURIComponent(cursor)}`, { key: otherKey }),
      );
      all.push(...p.data);
      cursor = p.nextCursor;
    }
    const owned = await env.DB.prepare(
      'SELECT id FROM backtests WHERE key_id = (SELECT key_id FROM backtests WHERE id = ?) ORDER BY created_at DESC, id DESC',
    )
      .bind(mine.id)
      .all<{ id: string }>();
    expect(all.map((j) => j.id)).toEqual(owned.results.map((r) => r.id));
  });
});

describe('validation and limits', () => {
  const ok = { data: { symbol: 'AAPL' }, strategy: SMA };

  it.each([
    ['unknown strategy name', { ...ok, strategy: { name: 'moon-shot', params: {} } }, 'strategy.name'],
    [
      'bad strategy params',
      { ...ok, strategy: { name: 'sma-cross', params: { fast: 50, slow: 10 } } },
      'strategy.params.fast',
    ],
    ['unknown option', { ...ok, leverage: 100 }, ''],
    ['negative cash', { ...ok, cash: -1 }, 'cash'],
    [
      'unsorted inline bars',
      {
        ...ok,
        data: {
          bars: [
            { t: 2, o: 1, h: 1, l: 1, c: 1, v: 1 },
            { t: 1, o: 1, h: 1, l: 1, c: 1, v: 1 },
          ],
        },
      },
      'data.bars.1.t',
    ],
  ])('%s → 400 with details', async (_name, body, path) => {
    const res = await api('/api/v1/backtests', post(body, tradeKey));
    expect(res.status).toBe(400);
    const err = await json<{
      error: { code: string; details: Array<{ path: string; message: string }>; traceId: string };
    }>(res);
    expect(err.error.code).toBe('validation_failed');
    expect(err.error.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(err.error.details.map((d) => d.path)).toContain(path);
  });

  it('unknown symbol → 404, empty range → 422, too many bars → 413, oversized body → 413', async () => {
    const unknown = await api('/api/v1/backtests', post({ ...ok, data: { symbol: 'NOPE' } }, tradeKey));
    expect(unknown.status).toBe(404);
    const empty = await api(
      '/api/v1/backtests',
      post({ ...ok, data: { symbol: 'AAPL', from: '2001-01-01', to: '2001-12-31' } }, tradeKey),
    );
    expect(empty.status).toBe(422);
    expect((await json<{ error: { code: string } }>(empty)).error.code).toBe('unprocessable');
    const big = await apiWith({ BACKTEST_MAX_BARS: '500' }, '/api/v1/backtests', post(ok, tradeKey));
    expect(big.status).toBe(413);
    expect((await json<{ error: { details: unknown } }>(big)).error.details).toEqual({
      bars: 600,
      maxBars: 500,
    });
    const huge = await api('/api/v1/backtests', post({ ...ok, pad: 'x'.repeat(1_100_000) }, tradeKey));
    expect(huge.status).toBe(413);
  });

  it('answers malformed ids, cursors, queries and bodies with 4xx in the error shape', async () => {
    const cases: Array<[string, RequestInit & { key?: string }, number]> = [
      ['/api/v1/backtests/not-an-id', { key: tradeKey }, 400],
      ['/api/v1/backtests/bt_doesNotExist', { key: tradeKey }, 404],
      ['/api/v1/backtests?cursor=%%%', { key: tradeKey }, 400],
      ['/api/v1/backtests?cursor=bm9wZQ', { key: tradeKey }, 400],
      ['/api/v1/backtests?limit=0', { key: tradeKey }, 400],
      ['/api/v1/backtests/sweeps/sw_nope', { key: tradeKey }, 404],
      ['/api/v1/backtests', { ...post({}, tradeKey), body: '{not json' }, 400],
      ['/api/v1/backtests', post([], tradeKey), 400],
      ['/api/v1/backtests', post(ok, tradeKey, { 'idempotency-key': 'x'.repeat(300) }), 400],
    ];
    for (const [path, init, status] of cases) {
      const res = await api(path, init);
      expect(res.status, path).toBe(status);
      expect((await json<{ error: { code: string } }>(res)).error.code, path).toBeTruthy();
    }
    const run = await json<RunBody>(await api('/api/v1/backtests', post(ok, tradeKey)));
    for (const q of ['points=1', 'points=99999', 'points=abc']) {
      expect((await api(`/api/v1/backtests/${run.id}/equity?${q}`, { key: tradeKey })).status, q).toBe(400);
    }
    for (const q of ['cursor=LTE', 'cursor=!!', 'limit=5000']) {
      expect((await api(`/api/v1/backtests/${run.id}/trades?${q}`, { key: tradeKey })).status, q).toBe(400);
    }
  });

  it('requires a key with the trade scope', async () => {
    expect((await api('/api/v1/backtests', post(ok, ''))).status).toBe(401);
    expect((await api('/api/v1/backtests', post(ok, readKey))).status).toBe(403);
    expect((await api('/api/v1/backtests/sweeps', post(ok, readKey))).status).toBe(403);
  });
});

describe('OpenAPI', () => {
  it('documents the backtest routes from the same schemas', async () => {
    const res = await api('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(res);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/backtests',
        '/api/v1/backtests/{id}',
        '/api/v1/backtests/{id}/trades',
        '/api/v1/backtests/{id}/equity',
        '/api/v1/backtests/sweeps',
        '/api/v1/backtests/sweeps/{id}',
      ]),
    );
    expect(Object.keys(doc.paths['/api/v1/backtests'] ?? {}).sort()).toEqual(['get', 'post']);
  });
});

import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, injectFaults, json, makeKey, seedSymbols } from './helpers';

let readKey: string;

beforeAll(async () => {
  await seedSymbols();
  readKey = await makeKey(['read']);
  const day = 86_400_000;
  const start = Date.UTC(2024, 0, 1);
  const stmts = [];
  for (let i = 0; i < 30; i++) {
    stmts.push(
      env.DB.prepare(
        'INSERT OR IGNORE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
      ).bind('AAPL', '1d', start + i * day, 100 + i, 102 + i, 99 + i, 101 + i, 1000),
    );
  }
  for (let m = 0; m < 120; m++) {
    stmts.push(
      env.DB.prepare(
        'INSERT OR IGNORE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
      ).bind('MSFT', '1m', start + m * 60_000, 10 + m, 11 + m, 9 + m, 10.5 + m, 1),
    );
  }
  await env.DB.batch(stmts);
});

describe('health', () => {
  it('answers liveness without a key', async () => {
    const res = await api('/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(await json(res)).toMatchObject({ status: 'ok' });
  });

  it('measures a D1 round trip', async () => {
    const body = await json(await api('/api/health/db'));
    expect(body.status).toBe('ok');
    expect(typeof body.latencyMs).toBe('number');
  });

  it('reports every dependency on the detailed check, with a key', async () => {
    expect((await api('/api/health/detailed')).status).toBe(401);
    const res = await api('/api/health/detailed', { key: readKey });
    const body = await json<{ checks: Record<string, { status: string }> }>(res);
    expect(Object.keys(body.checks).sort()).toEqual(['d1', 'durableObject', 'kv', 'queue']);
    expect(res.status).toBe(200);
  });
});

describe('quotes', () => {
  it('derives a stored quote from the newest bars before any tick arrives', async () => {
    const res = await api('/api/v1/quotes/MSFT', { key: readKey });
    expect(res.status).toBe(200);
    const body = await json<{ data: { last: number; seq: number }; source: string; stale: boolean }>(res);
    expect(body.source).toBe('stored');
    expect(body.data.last).toBe(129.5);
    expect(body.data.seq).toBe(0);
  });

  it('404s a symbol without any data', async () => {
    expect((await api('/api/v1/quotes/DOGE-USD', { key: readKey })).status).toBe(404);
  });
});

describe('detailed health under failure', () => {
  it('names the failing dependency with 503 while D1 calls fail', async () => {
    const admin = await makeKey(['admin']);
    const put = await injectFaults(admin, { d1ErrorRate: 1 });
    expect(put.status).toBe(200);
    try {
      const res = await api('/api/health/detailed', { key: readKey });
      // The key itself is checked against D1 too: with every D1 call failing it is served from
      // the last-known-good copy made by the earlier requests of this file.
      expect(res.status).toBe(503);
      const body = await json<{ status: string; checks: Record<string, { status: string; error?: string }> }>(
        res,
      );
      expect(body.status).toBe('degraded');
      expect(body.checks.d1!.status).toBe('fail');
      expect(body.checks.kv!.status).toBe('ok');
    } finally {
      await api('/api/v1/admin/faults', { method: 'DELETE', key: admin });
    }
    expect((await api('/api/health/detailed', { key: readKey })).status).toBe(200);
  });
});

describe('symbols', () => {
  it('lists the catalogue', async () => {
    const res = await api('/api/v1/symbols', { key: readKey });
    expect(res.status).toBe(200);
    const body = await json<{ data: Array<{ symbol: string }> }>(res);
    expect(body.data.map((s) => s.symbol)).toContain('BTC-USD');
    expect(body.data.length).toBeGreaterThanOrEqual(10);
  });

  it('404s an unknown symbol and 400s a malformed one, in the error shape', async () => {
    const missing = await api('/api/v1/symbols/ZZZZ', { key: readKey });
    expect(missing.status).toBe(404);
    const body = await json<{ error: { code: string; traceId: string } }>(missing);
    expect(body.error.code).toBe('not_found');
    expect(body.error.traceId).toBe(missing.headers.get('x-trace-id'));
    const bad = await api('/api/v1/symbols/bad$sym', { key: readKey });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { code: string } }>(bad)).error.code).toBe('validation_failed');
  });
});

describe('bars', () => {
  it('pages daily bars forward with a cursor and no overlap', async () => {
    const from = Date.UTC(2024, 0, 1);
    const first = await json<{ data: Array<{ t: number }>; nextCursor: string | null }>(
      await api(`/api/v1/bars/AAPL?timeframe=1d&from=${from}&limit=20`, { key: readKey }),
    );
    expect(first.data).toHaveLength(20);
    expect(first.nextCursor).not.toBeNull();
    const second = await json<{ data: Array<{ t: number }>; nextCursor: string | null }>(
      await api(`/api/v1/bars/AAPL?timeframe=1d&limit=20&cursor=${first.nextCursor}`, { key: readKey }),
    );
    expect(second.data).toHaveLength(10);
    expect(second.nextCursor).toBeNull();
    expect(second.data[0]!.t).toBeGreaterThan(first.data.at(-1)!.t);
  });

  it('aggregates 1-minute bars into hourly bars', async () => {
    const body = await json<{
      data: Array<{ t: number; o: number; h: number; l: number; c: number; v: number }>;
    }>(await api(`/api/v1/bars/MSFT?timeframe=1h&from=2024-01-01`, { key: readKey }));
    expect(body.data).toHaveLength(2);
    expect(body.data[0]).toEqual({ t: Date.UTC(2024, 0, 1), o: 10, h: 70, l: 9, c: 69.5, v: 60 });
    expect(body.data[1]).toMatchObject({ o: 70, c: 129.5, v: 60 });
  });

  it('rejects a bad timeframe and reversed ranges', async () => {
    expect((await api('/api/v1/bars/MSFT?timeframe=2m', { key: readKey })).status).toBe(400);
    expect((await api('/api/v1/bars/MSFT?from=2024-02-01&to=2024-01-01', { key: readKey })).status).toBe(400);
  });
});

describe('auth', () => {
  it('401s without a key and with a malformed or unknown key', async () => {
    expect((await api('/api/v1/symbols')).status).toBe(401);
    expect((await api('/api/v1/symbols', { key: 'nope' })).status).toBe(401);
    expect((await api('/api/v1/symbols', { key: `sk_${'A'.repeat(43)}` })).status).toBe(401);
  });

  it('403s a key without the scope', async () => {
    const res = await api('/api/v1/admin/keys', { key: readKey });
    expect(res.status).toBe(403);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('forbidden');
  });

  it('stops a revoked key at once', async () => {
    const admin = await makeKey(['admin']);
    const created = await json<{ id: string; key: string }>(
      await api('/api/v1/admin/keys', {
        method: 'POST',
        key: admin,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'temp', scopes: ['read'] }),
      }),
    );
    expect((await api('/api/v1/symbols', { key: created.key })).status).toBe(200);
    expect((await api(`/api/v1/admin/keys/${created.id}`, { method: 'DELETE', key: admin })).status).toBe(
      200,
    );
    expect((await api('/api/v1/symbols', { key: created.key })).status).toBe(401);
  });
});

describe('unknown routes', () => {
  it('404 in the error shape', async () => {
    const res = await api('/api/v1/nope');
    expect(res.status).toBe(404);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
  });
});

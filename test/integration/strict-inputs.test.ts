import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiWith, post, storeDaily } from './backtests-support';
import { api, json, makeKey, seedSymbols } from './helpers';

/**
 * Reproductions of issue 15's input findings (6 and parts of 9): each request used to answer
 * 500 or be accepted; each must now be a 4xx in the error shape that names the problem.
 */

type ErrorBody = { error: { code: string; message: string; details?: unknown; traceId: string } };

let tradeKey: string;
let otherTradeKey: string;
let readKey: string;
let ingestKey: string;

const SMA = { name: 'sma-cross', params: { fast: 10, slow: 30 } };
const STORED = { symbol: 'AAPL', timeframe: '1d' };

beforeAll(async () => {
  await seedSymbols();
  [tradeKey, otherTradeKey, readKey, ingestKey] = await Promise.all([
    makeKey(['trade']),
    makeKey(['trade']),
    makeKey(['read']),
    makeKey(['ingest']),
  ]);
  await storeDaily('AAPL', 120, 3);
  await storeDaily('MSFT', 120, 4);
});

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody> {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.traceId).toBe(res.headers.get('x-trace-id'));
  return body;
}

function detailsText(body: ErrorBody): string {
  return JSON.stringify(body.error.details ?? null) + body.error.message;
}

/** A condition nested `depth` levels of `{ all: [...] }` around one comparison. */
function nestedRules(depth: number): string {
  const leaf = '{"left":{"price":"close"},"op":">","right":1}';
  return `{"long":{"entry":${'{"all":['.repeat(depth)}${leaf}${']}'.repeat(depth)}}}`;
}

function rawPost(body: string, key: string, path = '/api/v1/backtests') {
  return api(path, { method: 'POST', key, headers: { 'content-type': 'application/json' }, body });
}

describe('nesting depth is bounded before any recursion', () => {
  it('a rule set nested 1,000 and 50,000 deep is 400 validation_failed naming the limit (was 500)', async () => {
    for (const depth of [1_000, 50_000]) {
      const body = `{"data":{"symbol":"AAPL"},"strategy":{"rules":${nestedRules(depth)}}}`;
      const err = await expectError(await rawPost(body, tradeKey), 400, 'validation_failed');
      expect(detailsText(err)).toMatch(/nest.*32|32.*nest/i);
    }
  });

  it('strategy.params nested 50,000 deep is 400 (was 500), also as arrays and in sweeps', async () => {
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const arrays = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    for (const v of [deep, arrays]) {
      const body = `{"data":{"symbol":"AAPL"},"strategy":{"name":"sma-cross","params":{"x":${v}}}}`;
      await expectError(await rawPost(body, tradeKey), 400, 'validation_failed');
      const sweep = `{"data":{"symbol":"AAPL"},"strategy":"sma-cross","grid":{"fast":[5]},"x":${v}}`;
      await expectError(await rawPost(sweep, tradeKey, '/api/v1/backtests/sweeps'), 400, 'validation_failed');
    }
  });

  it('deep nesting inside strings does not count, and ordinary rule sets still run', async () => {
    const body = JSON.stringify({
      data: STORED,
      strategy: { rules: JSON.parse(nestedRules(3)) },
      note: undefined,
    });
    expect((await rawPost(body, tradeKey)).status).toBe(201);
    const inString = JSON.stringify({ data: STORED, strategy: SMA, pad: '['.repeat(10_000) });
    // Rejected as an unknown field, not as nesting.
    const err = await expectError(await rawPost(inString, tradeKey), 400, 'validation_failed');
    expect(detailsText(err)).not.toMatch(/nest/i);
  });

  it('applies to every JSON body: ingest ticks and admin bodies too', async () => {
    const deep = `{"ticks":${'['.repeat(1_000)}${']'.repeat(1_000)}}`;
    const res = await api('/api/v1/ingest/ticks', {
      method: 'POST',
      key: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: deep,
    });
    const err = await expectError(res, 400, 'validation_failed');
    expect(detailsText(err)).toMatch(/32/);
  });
});

describe('strategy parameters are validated per strategy', () => {
  it('an unknown parameter of a named strategy is 400 naming it (was accepted)', async () => {
    const res = await api(
      '/api/v1/backtests',
      post(
        { data: STORED, strategy: { name: 'sma-cross', params: { fast: 10, slow: 30, bogus: 1 } } },
        tradeKey,
      ),
    );
    const err = await expectError(res, 400, 'validation_failed');
    expect(detailsText(err)).toContain('bogus');
  });

  it('a parameter of the wrong type or out of range is 400', async () => {
    for (const params of [{ fast: 'ten' }, { fast: 0 }, { fast: 1e308 }, { fast: 10.5 }]) {
      const res = await api(
        '/api/v1/backtests',
        post({ data: STORED, strategy: { name: 'sma-cross', params } }, tradeKey),
      );
      await expectError(res, 400, 'validation_failed');
    }
  });

  it('a sweep grid key the strategy does not have is 400 (was accepted)', async () => {
    const res = await api(
      '/api/v1/backtests/sweeps',
      post({ data: STORED, strategy: 'sma-cross', grid: { fast: [5, 10], bogus: [1, 2] } }, tradeKey),
    );
    const err = await expectError(res, 400, 'validation_failed');
    expect(detailsText(err)).toContain('grid.bogus');
  });

  it('a sweep grid value of the wrong type or range is 400 naming its key', async () => {
    for (const grid of [{ fast: [5, true] }, { fast: [5, -1] }, { period: [1e308] }]) {
      const strategy = 'period' in grid ? 'rsi-reversion' : 'sma-cross';
      const res = await api('/api/v1/backtests/sweeps', post({ data: STORED, strategy, grid }, tradeKey));
      const err = await expectError(res, 400, 'validation_failed');
      expect(detailsText(err)).toMatch(/grid\.(fast|period)/);
    }
  });
});

describe('time fields are bounded', () => {
  const bar = (t: number) => ({ t, o: 1, h: 2, l: 0.5, c: 1.5, v: 10 });

  it('inline bars with t: 9e15 (and other out-of-range times) are 400 naming the field (was 500)', async () => {
    for (const t of [9e15, -1, 2 ** 53, -8.64e15]) {
      const res = await api(
        '/api/v1/backtests',
        post({ data: { bars: [bar(Date.UTC(2020, 0, 1)), bar(t)] }, strategy: SMA }, tradeKey),
      );
      const err = await expectError(res, 400, 'validation_failed');
      expect(detailsText(err)).toContain('data.bars.1.t');
    }
  });

  it('from/to beyond the supported range are 400 on bars, backtests and sweeps', async () => {
    for (const q of ['from=9000000000000000', 'to=9e15', 'from=2100-01-02', 'from=-9e15', 'to=0050-01-01']) {
      const res = await api(`/api/v1/bars/AAPL?${q}`, { key: readKey });
      const err = await expectError(res, 400, 'validation_failed');
      expect(detailsText(err)).toMatch(/"(from|to)"/);
    }
    const res = await api(
      '/api/v1/backtests',
      post({ data: { symbol: 'AAPL', from: 9e15 }, strategy: SMA }, tradeKey),
    );
    const err = await expectError(res, 400, 'validation_failed');
    expect(detailsText(err)).toContain('data.from');
    const sweep = await api(
      '/api/v1/backtests/sweeps',
      post(
        { data: { symbol: 'AAPL', to: '2150-01-01' }, strategy: 'sma-cross', grid: { fast: [5] } },
        tradeKey,
      ),
    );
    expect(detailsText(await expectError(sweep, 400, 'validation_failed'))).toContain('data.to');
  });
});

interface Page {
  nextCursor: string | null;
}

describe('cursors are bound to what they page', () => {
  it('a bars cursor made for one symbol is 400 on another (was accepted)', async () => {
    const first = await json<Page>(await api('/api/v1/bars/AAPL?timeframe=1d&limit=10', { key: readKey }));
    expect(first.nextCursor).toBeTruthy();
    const cursor = encodeURIComponent(first.nextCursor!);
    expect(
      (await api(`/api/v1/bars/AAPL?timeframe=1d&limit=10&cursor=${cursor}`, { key: readKey })).status,
    ).toBe(200);
    const err = await expectError(
      await api(`/api/v1/bars/MSFT?timeframe=1d&limit=10&cursor=${cursor}`, { key: readKey }),
      400,
      'invalid_cursor',
    );
    expect(detailsText(err)).toContain('cursor');
    await expectError(
      await api(`/api/v1/bars/AAPL?timeframe=1h&limit=10&cursor=${cursor}`, { key: readKey }),
      400,
      'invalid_cursor',
    );
  });

  it('a backtest list cursor is 400 for another key and on the sweeps list', async () => {
    for (const fast of [5, 6]) {
      const res = await api(
        '/api/v1/backtests',
        post({ data: STORED, strategy: { name: 'sma-cross', params: { fast, slow: 30 } } }, tradeKey),
      );
      expect(res.status).toBe(201);
    }
    const page = await json<Page>(await api('/api/v1/backtests?limit=1', { key: tradeKey }));
    expect(page.nextCursor).toBeTruthy();
    const cursor = encodeURIComponent(page.nextCursor!);
    expect((await api(`/api/v1/backtests?limit=1&cursor=${cursor}`, { key: tradeKey })).status).toBe(200);
    await expectError(
      await api(`/api/v1/backtests?limit=1&cursor=${cursor}`, { key: otherTradeKey }),
      400,
      'invalid_cursor',
    );
    await expectError(
      await api(`/api/v1/backtests/sweeps?limit=1&cursor=${cursor}`, { key: tradeKey }),
      400,
      'invalid_cursor',
    );
    await expectError(
      await api(`/api/v1/bars/AAPL?cursor=${cursor}`, { key: readKey }),
      400,
      'invalid_cursor',
    );
  });

  it("a trades cursor is 400 on another backtest's trades", async () => {
    const runs: string[] = [];
    for (const fast of [3, 4]) {
      const res = await api(
        '/api/v1/backtests',
        post({ data: STORED, strategy: { name: 'sma-cross', params: { fast, slow: 8 } } }, tradeKey),
      );
      expect(res.status).toBe(201);
      runs.push((await json<{ id: string }>(res)).id);
    }
    const page = await json<Page>(
      await api(`/api/v1/backtests/${runs[0]}/trades?limit=1`, { key: tradeKey }),
    );
    expect(page.nextCursor).toBeTruthy();
    const cursor = encodeURIComponent(page.nextCursor!);
    expect(
      (await api(`/api/v1/backtests/${runs[0]}/trades?limit=1&cursor=${cursor}`, { key: tradeKey })).status,
    ).toBe(200);
    await expectError(
      await api(`/api/v1/backtests/${runs[1]}/trades?limit=1&cursor=${cursor}`, { key: tradeKey }),
      400,
      'invalid_cursor',
    );
  });

  it('every malformed cursor gets the same answer', async () => {
    const urls = [
      '/api/v1/bars/AAPL?cursor=%25%25',
      '/api/v1/backtests?cursor=bm9wZQ',
      '/api/v1/backtests/sweeps?cursor=LTE',
    ];
    for (const url of urls) {
      const key = url.startsWith('/api/v1/bars') ? readKey : tradeKey;
      const err = await expectError(await api(url, { key }), 400, 'invalid_cursor');
      expect(err.error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    }
  });
});

describe('unknown symbols leave nothing behind in KV', () => {
  async function symbolKeys(): Promise<number> {
    return (await env.CACHE.list({ prefix: 'v1:symbol:' })).keys.length;
  }

  it('200 lookups of distinct unknown symbols are 404 and create no KV entry (each used to add a 24 h one)', async () => {
    const before = await symbolKeys();
    for (let i = 0; i < 100; i++) {
      const s = `NOPE${i}`;
      await expectError(await apiWith({}, `/api/v1/quotes/${s}`, { key: readKey }), 404, 'not_found');
      await expectError(await apiWith({}, `/api/v1/symbols/${s}`, { key: readKey }), 404, 'not_found');
    }
    expect(await symbolKeys()).toBe(before);
    // Known symbols are still cached.
    expect((await apiWith({}, '/api/v1/symbols/AAPL', { key: readKey })).status).toBe(200);
    expect((await env.CACHE.list({ prefix: 'v1:symbol:AAPL' })).keys.length).toBe(1);
  });

  it('an ingest frame naming 300 unknown symbols creates no KV entry', async () => {
    const before = await symbolKeys();
    const ticks = Array.from({ length: 300 }, (_, i) => ({
      symbol: `UNK${i}`,
      type: 'trade',
      price: 10,
      size: 1,
      ts: Date.now(),
      sourceId: `u-${i}`,
    }));
    const res = await apiWith({}, '/api/v1/ingest/ticks', {
      method: 'POST',
      key: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticks }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await symbolKeys()).toBe(before);
  });
});

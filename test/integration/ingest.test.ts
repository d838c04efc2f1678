import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, json, makeKey, seedSymbols } from './helpers';

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  await seedSymbols();
  ingestKey = await makeKey(['ingest']);
  readKey = await makeKey(['read']);
});

const post = (path: string, body: unknown, key = ingestKey, contentType = 'application/json') =>
  api(path, {
    method: 'POST',
    key,
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /api/v1/ingest/ticks', () => {
  it('sequences trades and quotes per symbol and makes them the live quote', async () => {
    // Ticks must be stamped near the server clock (ingest bounds, docs/market-data.md).
    const ts = Date.now();
    const res = await post('/api/v1/ingest/ticks', {
      ticks: [
        { type: 'quote', symbol: 'NVDA', sourceId: 'q1', ts, bid: 100, bidSize: 5, ask: 100.02, askSize: 7 },
        { type: 'trade', symbol: 'NVDA', sourceId: 't1', ts: ts + 1, price: 100.01, size: 10 },
        { type: 'trade', symbol: 'TSLA', sourceId: 't1', ts: ts + 2, price: 250, size: 3 },
      ],
    });
    expect(res.status).toBe(200);
    const body = await json<{
      accepted: number;
      duplicates: number;
      symbols: Record<string, { lastSeq: number }>;
    }>(res);
    expect(body).toMatchObject({ accepted: 3, duplicates: 0 });
    // Each room sequences its ticks, then the forming-bar update its trades produced.
    expect(body.symbols.NVDA!.lastSeq).toBe(3);
    expect(body.symbols.TSLA!.lastSeq).toBe(2);
    const quote = await json<{
      data: { last: number; bid: number; ask: number; seq: number };
      source: string;
    }>(await api('/api/v1/quotes/NVDA', { key: readKey }));
    expect(quote.source).toBe('live');
    expect(quote.data).toMatchObject({ last: 100.01, bid: 100, ask: 100.02, seq: 2 });
  });

  it('starts a fresh room from the stored daily bars: previous close and the day so far', async () => {
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    await env.DB.batch([
      env.DB.prepare(
        'INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
      ).bind('ETH-USD', '1d', today - day, 3000, 3100, 2900, 3050, 10),
      env.DB.prepare(
        'INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
      ).bind('ETH-USD', '1d', today, 3050, 3200, 3040, 3150, 4),
    ]);
    const res = await post('/api/v1/ingest/ticks', {
      ticks: [{ type: 'trade', symbol: 'ETH-USD', sourceId: 'eth-1', ts: Date.now(), price: 3210, size: 2 }],
    });
    expect(res.status).toBe(200);
    const quote = await json<{ data: Record<string, number | null> }>(
      await api('/api/v1/quotes/ETH-USD', { key: readKey }),
    );
    expect(quote.data).toMatchObject({
      last: 3210,
      prevClose: 3050,
      dayOpen: 3050,
      dayHigh: 3210,
      dayLow: 3040,
      dayVolume: 6,
    });
  });

  it('drops redelivered ticks (same symbol and sourceId) and keeps seq moving forward only', async () => {
    const ts = Date.now();
    const batch = { ticks: [{ type: 'trade', symbol: 'SPY', sourceId: 'dup-1', ts, price: 500, size: 1 }] };
    const first = await json<{ symbols: Record<string, { lastSeq: number }> }>(
      await post('/api/v1/ingest/ticks', batch),
    );
    const again = await json<{
      accepted: number;
      duplicates: number;
      symbols: Record<string, { lastSeq: number }>;
    }>(await post('/api/v1/ingest/ticks', batch));
    expect(again.accepted).toBe(0);
    expect(again.duplicates).toBe(1);
    // The trade's minute may have closed meanwhile, so the room may have sequenced that bar since; never a second trade.
    expect(again.symbols.SPY!.lastSeq).toBeGreaterThanOrEqual(first.symbols.SPY!.lastSeq);
  });

  it('rejects the whole batch for an unknown symbol, invalid ticks, or too many ticks', async () => {
    const ts = Date.now();
    const unknown = await post('/api/v1/ingest/ticks', {
      ticks: [{ type: 'trade', symbol: 'NOPE', sourceId: 'x', ts, price: 1, size: 1 }],
    });
    expect(unknown.status).toBe(404);
    const crossed = await post('/api/v1/ingest/ticks', {
      ticks: [{ type: 'quote', symbol: 'AAPL', sourceId: 'x', ts, bid: 2, bidSize: 1, ask: 1, askSize: 1 }],
    });
    expect(crossed.status).toBe(400);
    const many = Array.from({ length: 1001 }, (_, i) => ({
      type: 'trade',
      symbol: 'AAPL',
      sourceId: `m${i}`,
      ts,
      price: 1,
      size: 1,
    }));
    expect((await post('/api/v1/ingest/ticks', { ticks: many })).status).toBe(400);
    expect((await post('/api/v1/ingest/ticks', '{"ticks":[', ingestKey)).status).toBe(400);
  });

  it('requires the ingest scope', async () => {
    const res = await post('/api/v1/ingest/ticks', { ticks: [] }, readKey);
    expect(res.status).toBe(403);
  });
});

describe('POST /api/v1/ingest/bars', () => {
  const csv = [
    'Date,Open,High,Low,Close,Volume',
    '2020-01-02,10,11,9,10.5,100',
    '2020-01-03,10.5,12,10,11.5,200',
    '2020-01-06,11.5,11.8,11,11.2,150',
  ].join('\n');

  it('imports a vendor CSV and serves it back', async () => {
    const res = await post('/api/v1/ingest/bars?symbol=BRK.B&timeframe=1d', csv, ingestKey, 'text/csv');
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ symbol: 'BRK.B', timeframe: '1d', imported: 3 });
    const bars = await json<{ data: Array<{ t: number; c: number }> }>(
      await api('/api/v1/bars/BRK.B?timeframe=1d&from=2020-01-01&to=2020-01-31', { key: readKey }),
    );
    expect(bars.data.map((b) => b.c)).toEqual([10.5, 11.5, 11.2]);
  });

  it('rejects a CSV with one bad row whole, naming the row, and stores nothing', async () => {
    const bad = [
      'Date,Open,High,Low,Close,Volume',
      '2019-01-02,10,11,9,10.5,100',
      '2019-01-03,10.5,abc,10,11.5,200',
    ].join('\n');
    const res = await post('/api/v1/ingest/bars?symbol=BRK.B&timeframe=1d', bad, ingestKey, 'text/csv');
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: Array<{ row: number }> } }>(res);
    expect(body.error.details[0]!.row).toBe(3);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM bars WHERE symbol = 'BRK.B' AND ts < ?")
      .bind(Date.UTC(2020, 0, 1))
      .first<{ n: number }>();
    expect(row!.n).toBe(0);
  });

  it('imports JSON bars and validates them', async () => {
    const ok = await post('/api/v1/ingest/bars', {
      symbol: 'EURUSD',
      timeframe: '1m',
      bars: [
        { time: '2021-03-01T10:00:00Z', open: 1.2, high: 1.21, low: 1.19, close: 1.205, volume: 10 },
        { time: '2021-03-01T10:01:00Z', open: 1.205, high: 1.206, low: 1.2, close: 1.201, volume: 12 },
      ],
    });
    expect(ok.status).toBe(200);
    const inverted = await post('/api/v1/ingest/bars', {
      symbol: 'EURUSD',
      timeframe: '1m',
      bars: [{ time: '2021-03-01T10:02:00Z', open: 1.2, high: 1.1, low: 1.19, close: 1.205, volume: 10 }],
    });
    expect(inverted.status).toBe(400);
    const misaligned = await post('/api/v1/ingest/bars', {
      symbol: 'EURUSD',
      timeframe: '1d',
      bars: [{ time: '2021-03-01T10:02:00Z', open: 1.2, high: 1.3, low: 1.19, close: 1.205, volume: 10 }],
    });
    expect(misaligned.status).toBe(400);
  });

  it('needs symbol and timeframe for CSV and a supported content type', async () => {
    expect((await post('/api/v1/ingest/bars', csv, ingestKey, 'text/csv')).status).toBe(400);
    const plain = await post('/api/v1/ingest/bars?symbol=AAPL&timeframe=1d', csv, ingestKey, 'text/plain');
    expect(plain.status).toBe(415);
    expect((await json<{ error: { code: string } }>(plain)).error.code).toBe('unsupported_media_type');
  });
});

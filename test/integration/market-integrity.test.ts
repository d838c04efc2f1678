import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { flushBars } from '../../durable-objects/symbol-room/bar-sink';
import { ingestLimits } from '../../durable-objects/symbol-room/ingest-bounds';
import type { SymbolRoom } from '../../durable-objects/symbol-room/symbol-room';
import { barViolation, type TimedBar } from '../../engine/market/bar-merge';
import type { Tick, TickIngestResult } from '../../schema/contracts/ingest';
import { api, json, makeKey, seedSymbols } from './helpers';

const MINUTE = 60_000;
const DAY = 86_400_000;

let ingestKey: string;
let readKey: string;

beforeAll(async () => {
  await seedSymbols();
  ingestKey = await makeKey(['ingest']);
  readKey = await makeKey(['read']);
});

// Each test uses its own room name: rooms bind to the first symbol they see.
function room(symbol: string): DurableObjectStub<SymbolRoom> {
  return env.SYMBOL_ROOM.get(env.SYMBOL_ROOM.idFromName(symbol));
}

const trade = (symbol: string, sourceId: string, ts: number, price: number, size = 1): Tick => ({
  type: 'trade',
  symbol,
  sourceId,
  ts,
  price,
  size,
});

async function ingest(ticks: unknown[] | string): Promise<Response> {
  return api('/api/v1/ingest/ticks', {
    method: 'POST',
    key: ingestKey,
    headers: { 'content-type': 'application/json' },
    body: typeof ticks === 'string' ? ticks : JSON.stringify({ ticks }),
  });
}

interface BarRow {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  first_ts: number | null;
  last_ts: number | null;
}

async function storedBar(symbol: string, timeframe: '1m' | '1d', ts: number): Promise<BarRow | null> {
  return env.DB.prepare('SELECT * FROM bars WHERE symbol = ? AND timeframe = ? AND ts = ?')
    .bind(symbol, timeframe, ts)
    .first<BarRow>();
}

/** Waits for D1 to hold a bar matching `done` (the room flushes from its alarm). */
async function flushedBar(
  stub: DurableObjectStub<SymbolRoom>,
  symbol: string,
  ts: number,
  done: (b: BarRow) => boolean,
): Promise<BarRow> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    // Runs the alarm now if it has not fired yet (the flush is due at once or in 2 s).
    await runDurableObjectAlarm(stub).catch(() => false);
    const bar = await storedBar(symbol, '1m', ts);
    if (bar && done(bar)) return bar;
    if (Date.now() > deadline)
      throw new Error(`bar ${ts} of ${symbol} not flushed as expected: ${JSON.stringify(bar)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Waits until at least `minAheadMs` of the current minute remains unused by this test's
 * timing: the late-trade scenario stamps trades in the previous minute and needs them to stay
 * inside the 60 s lateness while the test runs.
 */
async function earlyInMinute(maxIntoMinuteMs: number): Promise<number> {
  const into = Date.now() % MINUTE;
  if (into > maxIntoMinuteMs) await new Promise((r) => setTimeout(r, MINUTE - into + 50));
  return Math.floor(Date.now() / MINUTE) * MINUTE;
}

describe('late trades', () => {
  it('merges a trade stamped 1 ms before a boundary, arriving after the bar closed, into the stored bar', async () => {
    const symbol = 'LATE-A';
    const stub = room(symbol);
    const boundary = await earlyInMinute(30_000);
    const minute = boundary - MINUTE;
    // The minute's trades, then the alarm closes it (its minute has ended) and flushes it.
    const first = await stub.ingest(symbol, [
      trade(symbol, 'a1', boundary - 3_000, 100, 2),
      trade(symbol, 'a2', boundary - 2_000, 104, 3),
      trade(symbol, 'a3', boundary - 1_000, 99, 5),
    ]);
    expect(first).toMatchObject({ accepted: 3, rejected: 0 });
    const closed = await flushedBar(stub, symbol, minute, () => true);
    expect(closed).toMatchObject({ open: 100, high: 104, low: 99, close: 99, volume: 10 });

    // A restart between the close and the late print must not lose the closed bar either.
    await evictDurableObject(stub);
    const late = await stub.ingest(symbol, [trade(symbol, 'a4', boundary - 1, 106, 4)]);
    expect(late).toMatchObject({ accepted: 1, rejected: 0 });
    const merged = await flushedBar(stub, symbol, minute, (b) => b.volume === 14);
    // Before the fix the bar became the lone late trade: o=h=l=c=106, v=4 (or kept open 100: low above open).
    expect(merged).toMatchObject({
      open: 100,
      high: 106,
      low: 99,
      close: 106,
      volume: 14,
      first_ts: boundary - 3_000,
      last_ts: boundary - 1,
    });
    // A print earlier than the bar's last trade widens it but does not move its close.
    await stub.ingest(symbol, [trade(symbol, 'a5', boundary - 2_500, 98, 1)]);
    const widened = await flushedBar(stub, symbol, minute, (b) => b.volume === 15);
    expect(widened).toMatchObject({ open: 100, low: 98, close: 106 });
    // The daily bar folded from the minute bars carries the whole minute once.
    const daily = await storedBar(symbol, '1d', Math.floor(minute / DAY) * DAY);
    expect(daily).toMatchObject({ high: 106, low: 98 });
    expect(daily!.volume).toBeGreaterThanOrEqual(15);
    expect(barViolation({ ...daily!, time: daily!.ts })).toBeNull();
  });

  it('does not let an older in-bounds trade become the last price', async () => {
    const symbol = 'LATE-B';
    const stub = room(symbol);
    const now = Date.now();
    await stub.ingest(symbol, [trade(symbol, 'b1', now, 50)]);
    const older = await stub.ingest(symbol, [trade(symbol, 'b2', now - 20_000, 49)]);
    expect(older.accepted).toBe(1);
    // Likewise an older quote does not replace a newer one.
    const quote = (ts: number, bid: number): Tick => ({
      type: 'quote',
      symbol,
      sourceId: `q${ts}`,
      ts,
      bid,
      bidSize: 1,
      ask: bid + 0.1,
      askSize: 1,
    });
    await stub.ingest(symbol, [quote(now, 49.9), quote(now - 10_000, 49.5)]);
    expect(await stub.quote(symbol)).toMatchObject({ last: 50, dayLow: 49, bid: 49.9 });
  });
});

describe('ingest bounds', () => {
  it('refuses a future-dated tick per tick and the symbol keeps flowing', async () => {
    const symbol = 'SOL-USD';
    const now = Date.now();
    const res = await ingest([
      trade(symbol, 'f1', now + DAY, 180),
      trade(symbol, 'f2', Number.MAX_SAFE_INTEGER, 180),
      trade(symbol, 'f3', now, 181),
    ]);
    expect(res.status).toBe(200);
    const body = await json<TickIngestResult>(res);
    expect(body).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(body.symbols[symbol]).toMatchObject({ accepted: 1, rejected: 2 });
    expect(body.rejected.map((r) => [r.index, r.code, r.sourceId])).toEqual([
      [0, 'too_far_ahead', 'f1'],
      [1, 'too_far_ahead', 'f2'],
    ]);
    const quote = (
      await json<{ data: { ts: number; last: number } }>(
        await api(`/api/v1/quotes/${symbol}`, { key: readKey }),
      )
    ).data;
    expect(quote.last).toBe(181);
    expect(quote.ts).toBeLessThanOrEqual(Date.now());
    // Later trades still form the current minute's bar (before: the tomorrow bar froze it).
    await ingest([trade(symbol, 'f4', Date.now(), 182)]);
    const snap = await room(symbol).snapshot(symbol);
    expect(snap.forming?.time).toBe(Math.floor(Date.now() / MINUTE) * MINUTE);
    expect(snap.forming?.close).toBe(182);
  });

  it('refuses extreme prices and prices outside the band; none reach the quote or a bar', async () => {
    const symbol = 'TSLA';
    const now = Date.now();
    expect((await ingest([trade(symbol, 'x0', now, 250)])).status).toBe(200);
    // 1.8e308 overflows to Infinity in JSON.parse: not a number the contract accepts at all.
    const overflow = await ingest(
      `{"ticks":[{"type":"trade","symbol":"TSLA","sourceId":"x1","ts":${now},"price":1.8e308,"size":1}]}`,
    );
    expect(overflow.status).toBe(400);
    const res = await ingest([
      trade(symbol, 'x2', now + 1, 5e-324),
      trade(symbol, 'x3', now + 2, 1.7e308),
      trade(symbol, 'x4', now + 3, 400),
      trade(symbol, 'x5', now + 4, 251),
      trade(symbol, 'x6', now + 5, 251, 0),
    ]);
    expect(res.status).toBe(200);
    const body = await json<TickIngestResult>(res);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, 'invalid_price'],
      [1, 'invalid_price'],
      [2, 'price_out_of_band'],
      [4, 'invalid_size'],
    ]);
    const snap = await room(symbol).snapshot(symbol);
    expect(snap.quote).toMatchObject({ last: 251, dayHigh: 251, dayLow: 250 });
    expect(snap.forming).toMatchObject({ high: 251, low: 250 });
  });

  it('refuses a 3-minute-old trade at half the price: the quote does not move', async () => {
    const symbol = 'NVDA';
    const now = Date.now();
    expect((await ingest([trade(symbol, 's1', now, 140)])).status).toBe(200);
    const res = await ingest([trade(symbol, 's2', now - 180_000, 70)]);
    const body = await json<TickIngestResult>(res);
    expect(body.accepted).toBe(0);
    expect(body.rejected[0]).toMatchObject({ index: 0, code: 'too_late' });
    const quote = (
      await json<{ data: { last: number; dayLow: number } }>(
        await api(`/api/v1/quotes/${symbol}`, { key: readKey }),
      )
    ).data;
    expect(quote).toMatchObject({ last: 140, dayLow: 140 });
  });

  it('reads its limits from the vars, with a per-symbol band override', () => {
    const vars = {
      INGEST_MAX_LATENESS_MS: '30000',
      INGEST_MAX_CLOCK_SKEW_MS: '2000',
      INGEST_PRICE_BAND_PCT: '8',
      INGEST_PRICE_BANDS: '{"DOGE-USD": 25}',
    };
    expect(ingestLimits(vars, 'AAPL')).toEqual({ maxLatenessMs: 30_000, maxClockSkewMs: 2_000, bandPct: 8 });
    expect(ingestLimits(vars, 'DOGE-USD').bandPct).toBe(25);
    // Unset values take the documented defaults; garbage fails loudly, naming each variable,
    // instead of silently disabling or replacing a bound (platform/config.ts).
    expect(ingestLimits({}, 'AAPL')).toEqual({ maxLatenessMs: 60_000, maxClockSkewMs: 5_000, bandPct: 10 });
    expect(() => ingestLimits({ INGEST_MAX_LATENESS_MS: 'x', INGEST_PRICE_BANDS: '{' }, 'AAPL')).toThrow(
      /INGEST_MAX_LATENESS_MS: .*INGEST_PRICE_BANDS: /,
    );
  });
});

describe('flush merge rules (D1)', () => {
  const symbol = 'MERGE-A';
  const t = Date.UTC(2030, 0, 1, 10, 0);
  const piece = (o: Partial<TimedBar>): TimedBar => ({
    time: t,
    open: 10,
    high: 10,
    low: 10,
    close: 10,
    volume: 1,
    firstTs: t + 1_000,
    lastTs: t + 1_000,
    ...o,
  });

  it('never replaces a stored bar with less: retried flushes are harmless and times order open/close', async () => {
    const whole = piece({
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 6,
      firstTs: t + 1_000,
      lastTs: t + 50_000,
    });
    await flushBars(env, symbol, [whole], null);
    await flushBars(env, symbol, [whole], null); // a retry after a lost answer
    expect(await storedBar(symbol, '1m', t)).toMatchObject({
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 6,
    });
    // An older, smaller version (a lost room's fragment) changes nothing it cannot add to.
    await flushBars(
      env,
      symbol,
      [
        piece({
          open: 9.5,
          high: 9.5,
          low: 9.5,
          close: 9.5,
          volume: 1,
          firstTs: t + 30_000,
          lastTs: t + 30_000,
        }),
      ],
      null,
    );
    expect(await storedBar(symbol, '1m', t)).toMatchObject({
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 6,
    });
    // A version with an earlier first and a later last trade moves open and close.
    await flushBars(
      env,
      symbol,
      [piece({ open: 8, high: 13, low: 8, close: 12.5, volume: 9, firstTs: t + 10, lastTs: t + 59_999 })],
      null,
    );
    const bar = await storedBar(symbol, '1m', t);
    expect(bar).toMatchObject({
      open: 8,
      high: 13,
      low: 8,
      close: 12.5,
      volume: 9,
      first_ts: t + 10,
      last_ts: t + 59_999,
    });
    const daily = await storedBar(symbol, '1d', Math.floor(t / DAY) * DAY);
    expect(daily).toMatchObject({ open: 8, high: 13, low: 8, close: 12.5, volume: 9 });
  });

  it('leaves every stored bar valid', async () => {
    const { results } = await env.DB.prepare(
      'SELECT ts AS time, open, high, low, close, volume FROM bars',
    ).all<{
      time: number;
      open: number;
      high: number;
      low: number;
      close: number;
      volume: number;
    }>();
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((b) => barViolation(b) !== null)).toEqual([]);
  });
});

describe('bar imports', () => {
  const post = (path: string, body: string, contentType: string) =>
    api(path, { method: 'POST', key: ingestKey, headers: { 'content-type': contentType }, body });

  it('rejects CSV rows dated 0050 or 2099 with their row numbers and stores nothing', async () => {
    const csv = [
      'Date,Open,High,Low,Close,Volume',
      '2020-01-02,10,11,9,10.5,100',
      '0050-01-03,10,11,9,10.5,100',
      '2099-01-02,10,11,9,10.5,100',
    ].join('\n');
    const res = await post('/api/v1/ingest/bars?symbol=SPY&timeframe=1d', csv, 'text/csv');
    expect(res.status).toBe(400);
    const body = await json<{ error: { details: Array<{ row: number; reason: string }> } }>(res);
    expect(body.error.details.map((d) => d.row)).toEqual([3, 4]);
    expect(body.error.details[0]!.reason).toMatch(/outside/);
    const stored = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM bars WHERE symbol = 'SPY' AND ts IN (?, ?, ?)",
    )
      .bind(Date.UTC(2020, 0, 2), Date.UTC(1950, 0, 3), Date.UTC(2099, 0, 2))
      .first<{ n: number }>();
    expect(stored!.n).toBe(0);
  });

  it('rejects JSON bars in 2099 or year 33658 (epoch ms 1e15) and inconsistent OHLC, by row', async () => {
    const bar = { open: 10, high: 11, low: 9, close: 10.5, volume: 1 };
    const res = await post(
      '/api/v1/ingest/bars',
      JSON.stringify({
        symbol: 'SPY',
        timeframe: '1d',
        bars: [
          { time: '2021-01-04', ...bar },
          { time: '2099-01-05', ...bar },
          { time: 1e15, ...bar },
          { time: '2021-01-07', ...bar, low: 10.6 },
        ],
      }),
      'application/json',
    );
    expect(res.status).toBe(400);
    const body = await json<{ error: { details: Array<{ row: number; reason: string }> } }>(res);
    expect(body.error.details.map((d) => d.row)).toEqual([2, 3, 4]);
    expect(new Date(1e15).getUTCFullYear()).toBe(33658);
  });
});

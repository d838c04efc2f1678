import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../engine/backtest/run-backtest';
import { statsToJson } from '../../engine/backtest/serialize';
import { emptySeries, type OhlcvSeries, seriesFromRows } from '../../engine/data/bars';
import { importBars } from '../../platform/market/market-data';
import { StoredBarsSource } from '../../schema/contracts/backtests';
import { loadWithCandidates } from '../../workers/backtests/backtest-inline-load';
import {
  recallSeries,
  rememberSeries,
  seriesCacheSize,
  seriesKey,
} from '../../workers/backtests/backtest-series-cache';
import { DAY, type JobView, post, START, storeDaily } from './backtests-support';
import { api, json, makeKey, seedSymbols } from './helpers';

let tradeKey: string;
const SMA = { name: 'sma-cross' as const, params: { fast: 5, slow: 20 } };
const LAST = START + 499 * DAY;

beforeAll(async () => {
  await seedSymbols();
  tradeKey = await makeKey(['trade']);
  await storeDaily('SPY', 500, 31);
  await storeDaily('ETH-USD', 500, 32);
  await storeDaily('SOL-USD', 100, 33);
});

/** The stored bars of a range, read straight from D1 (what a run must see). */
async function stored(symbol: string, from: number, to: number): Promise<OhlcvSeries> {
  const r = await env.DB.prepare(
    "SELECT ts AS time, open, high, low, close, volume FROM bars WHERE symbol = ? AND timeframe = '1d' AND ts BETWEEN ? AND ? ORDER BY ts",
  )
    .bind(symbol, from, to)
    .all<{ time: number; open: number; high: number; low: number; close: number; volume: number }>();
  return seriesFromRows(r.results);
}

async function version(symbol: string): Promise<number | null> {
  const r = await env.DB.prepare("SELECT version FROM bar_versions WHERE symbol = ? AND timeframe = '1d'")
    .bind(symbol)
    .first<{ version: number }>();
  return r?.version ?? null;
}

const load = (data: Record<string, unknown>, now = Date.now()) =>
  loadWithCandidates(env, StoredBarsSource.parse(data), 100_000, 'no-such-request-key', 0, now);

type RunBody = JobView & { cached: boolean; bars: number };

describe('inline series kept in isolate memory', () => {
  const range = { symbol: 'SPY', timeframe: '1d', from: START, to: LAST };

  async function runAndCheck(cash: number) {
    const res = await api('/api/v1/backtests', post({ data: range, strategy: SMA, cash }, tradeKey));
    expect(res.status).toBe(201);
    const run = await json<RunBody>(res);
    const direct = runBacktest({ series: await stored('SPY', START, LAST), strategy: SMA, cash });
    expect(run.stats).toEqual(statsToJson(direct.stats));
    return run;
  }

  it('a repeated range is answered from memory after D1 confirms it unchanged, and every kind of write is seen', async () => {
    const a = await runAndCheck(10_000);
    expect(a.bars).toBe(500);
    // Same range, other options: the series comes from memory and gives the engine's result.
    expect((await load(range)).fromMemory).toBe(true);
    await runAndCheck(10_001);
    await runAndCheck(10_001);

    const writes: Array<[string, () => Promise<unknown>]> = [
      [
        'ingest (importBars upsert)',
        async () => {
          const s = await stored('SPY', START + 100 * DAY, START + 100 * DAY);
          await importBars(env, 'SPY', '1d', [
            {
              time: START + 100 * DAY,
              open: s.open[0] ?? 1,
              high: (s.high[0] ?? 1) * 1.5,
              low: s.low[0] ?? 1,
              close: (s.close[0] ?? 1) * 1.4,
              volume: 1,
            },
          ]);
        },
      ],
      [
        'a hand-run UPDATE',
        () =>
          env.DB.prepare(
            "UPDATE bars SET close = close * 0.7, low = low * 0.7 WHERE symbol = 'SPY' AND ts = ?",
          )
            .bind(START + 200 * DAY)
            .run(),
      ],
      [
        'a DELETE',
        () =>
          env.DB.prepare("DELETE FROM bars WHERE symbol = 'SPY' AND ts = ?")
            .bind(START + 300 * DAY)
            .run(),
      ],
      [
        'an INSERT inside the range',
        () =>
          env.DB.prepare(
            "INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES ('SPY', '1d', ?, 50, 60, 40, 55, 1)",
          )
            .bind(START + 300 * DAY)
            .run(),
      ],
    ];
    let cash = 20_000;
    for (const [what, write] of writes) {
      const before = await version('SPY');
      await write();
      expect(await version('SPY'), what).toBeGreaterThan(before ?? -1);
      const run = await runAndCheck(cash++);
      expect(run.cached, what).toBe(false);
      expect((await load(range)).fromMemory, what).toBe(true);
    }
  });

  it('registers a counter only for series it loaded; writes to other series do not touch it', async () => {
    expect(await version('SOL-USD')).toBeNull();
    await env.DB.prepare("UPDATE bars SET volume = volume + 1 WHERE symbol = 'SOL-USD'").run();
    expect(await version('SOL-USD')).toBeNull();
    const first = await load({ symbol: 'SOL-USD', from: START, to: START + 99 * DAY });
    expect(first.fromMemory).toBe(false);
    expect(first.series.close.length).toBe(100);
    expect(await version('SOL-USD')).toBe(0);
    const spy = await version('SPY');
    await env.DB.prepare("UPDATE bars SET volume = volume + 1 WHERE symbol = 'SOL-USD' AND ts < ?")
      .bind(START + 3 * DAY)
      .run();
    // One bump per changed row, and only for that series.
    expect(await version('SOL-USD')).toBe(3);
    expect(await version('SPY')).toBe(spy);
    expect((await load({ symbol: 'SOL-USD', from: START, to: START + 99 * DAY })).fromMemory).toBe(false);
  });

  it('a range open towards now sees a bar whose time has come, and never serves bars after its own now', async () => {
    const last = START + 499 * DAY;
    // Stamped after the "now" of the first load: excluded then, due once time passes it.
    await env.DB.prepare(
      "INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES ('ETH-USD', '1d', ?, 10, 11, 9, 10, 1)",
    )
      .bind(last + DAY)
      .run();
    const open = { symbol: 'ETH-USD', from: START };
    const early = await load(open, last + DAY / 2);
    expect([early.fromMemory, early.series.close.length]).toEqual([false, 500]);
    expect((await load(open, last + DAY / 2)).fromMemory).toBe(true);
    const later = await load(open, last + 2 * DAY);
    expect([later.fromMemory, later.series.close.length]).toEqual([false, 501]);
    expect((await load(open, last + 3 * DAY)).fromMemory).toBe(true);
    // An earlier "now" than the copy's: the copy holds a bar after it, so D1 is read again.
    const back = await load(open, last + DAY / 2);
    expect([back.fromMemory, back.series.close.length]).toEqual([false, 500]);
    expect(back.digest).toBe(early.digest);
  });

  it('keeps memory under its budget, evicting the least recently used series', () => {
    const n = 80_000;
    const series = (): OhlcvSeries => emptySeries(n);
    // 3.84 MB each: four fit in the 16 MiB budget, the fifth evicts.
    const keys = Array.from({ length: 5 }, (_, i) => seriesKey(`T${i}`, '1d', 0, 1));
    for (const [i, k] of keys.entries()) {
      rememberSeries(k, { series: series(), digest: `d${i}`, version: 0, loadedTo: 1 });
      if (i === 1) recallSeries(keys[0] ?? '');
    }
    expect(seriesCacheSize().bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    // keys[0] was used after keys[1] was stored, so keys[1] went first.
    expect(recallSeries(keys[1] ?? '')).toBeUndefined();
    expect(recallSeries(keys[0] ?? '')?.digest).toBe('d0');
    expect(recallSeries(keys[4] ?? '')?.digest).toBe('d4');
    // A series larger than a quarter of the budget is not kept at all.
    const huge = 100_000;
    const big = { ...series(), close: new Float64Array(huge) };
    rememberSeries('huge', { series: big, digest: 'h', version: 0, loadedTo: 1 });
    expect(recallSeries('huge')).toBeUndefined();
  });
});

import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../engine/random';
import { getPrediction } from '../../workers/predictions/prediction-inference';
import { api, json, makeKey, seedSymbols } from './helpers';

const DAY = 86_400_000;
/** Friday 4 December 2026: the last daily bar stored for the equity below (trading days only). */
const FRIDAY = Date.UTC(2026, 11, 4);

/** `count` daily bars of `symbol` on weekdays only (or every day for 24/7 symbols), the last at `last`. */
async function insertDaily(
  symbol: string,
  last: number,
  count: number,
  weekdaysOnly: boolean,
): Promise<void> {
  const rnd = mulberry32(count + symbol.length);
  const days: number[] = [];
  for (let t = last; days.length < count; t -= DAY) {
    const wd = new Date(t).getUTCDay();
    if (!weekdaysOnly || (wd !== 0 && wd !== 6)) days.push(t);
  }
  let close = 100;
  const stmts = days.reverse().map((ts) => {
    const open = close;
    close = open * Math.exp((rnd() - 0.5) * 0.04);
    return env.DB.prepare(
      'INSERT OR REPLACE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)',
    ).bind(
      symbol,
      '1d',
      ts,
      open,
      Math.max(open, close) * 1.005,
      Math.min(open, close) * 0.995,
      close,
      1_000,
    );
  });
  for (let i = 0; i < stmts.length; i += 200) await env.DB.batch(stmts.slice(i, i + 200));
}

function deps(now: number) {
  const ctx = createExecutionContext();
  return { env, waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p), now };
}

beforeAll(async () => {
  await seedSymbols();
  await insertDaily('MSFT', FRIDAY, 500, true);
  await insertDaily('ETH-USD', FRIDAY + 2 * DAY, 500, false);
});

describe('prediction expiry follows the session calendar', () => {
  it("Friday's daily prediction for an equity, served on Sunday, is valid until Monday's close (16:00 New York)", async () => {
    const sunday = FRIDAY + 2 * DAY + 12 * 3_600_000;
    const p = await getPrediction(deps(sunday), 'MSFT', '1d');
    expect(p.asOfBarTime).toBe(FRIDAY);
    expect(p.expiresAt).toBe('2026-12-07T21:00:00.000Z');
    expect(Date.parse(p.expiresAt)).toBeGreaterThan(sunday);
    // Served again from the cache on Monday evening (after the close, before Monday's bar counts
    // as closed at midnight UTC): still not expired at the moment it is served.
    const mondayEvening = Date.UTC(2026, 11, 7, 22);
    const later = await getPrediction(deps(mondayEvening), 'MSFT', '1d');
    expect(later.cached).toBe(true);
    expect(Date.parse(later.expiresAt)).toBeGreaterThan(mondayEvening);
  });

  it("crypto trades every day: Sunday's daily prediction expires when Monday's bar closes", async () => {
    const sundayNight = FRIDAY + 3 * DAY + 60_000;
    const p = await getPrediction(deps(sundayNight), 'ETH-USD', '1d');
    expect(p.asOfBarTime).toBe(FRIDAY + 2 * DAY);
    expect(p.expiresAt).toBe(new Date(FRIDAY + 4 * DAY).toISOString());
  });

  it('a prediction served by the API never expires before the moment it is served, and says what answered', async () => {
    const key = await makeKey(['read', 'trade']);
    for (const symbol of ['MSFT', 'ETH-USD']) {
      const before = Date.now();
      const res = await api(`/api/v1/predictions/${symbol}?horizon=1d`, { key });
      expect(res.status).toBe(200);
      const body = await json<{ expiresAt: string; basis: string; modelVersion: string }>(res);
      expect(Date.parse(body.expiresAt)).toBeGreaterThanOrEqual(before);
      // `basis` tells what the stored model answers with: a zero calibration slope is the base rate.
      const row = await env.DB.prepare('SELECT artifact FROM models WHERE symbol = ? AND version = ?')
        .bind(symbol, body.modelVersion)
        .first<{ artifact: string }>();
      const slope = (JSON.parse(row?.artifact ?? '{}') as { ensemble?: { calibration?: { b?: number } } })
        .ensemble?.calibration?.b;
      expect(typeof slope).toBe('number');
      expect(body.basis).toBe(slope === 0 ? 'base_rate' : 'ensemble');
    }
  });
});

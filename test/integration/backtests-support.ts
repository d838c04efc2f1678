import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import { randomWalkSeries } from '../../engine/backtest/random-walk';
import { type OhlcvSeries, rowsFromSeries, seriesFromRows } from '../../engine/data/bars';
import type { ConfigVars } from '../../platform/config';
import { importBars } from '../../platform/market/market-data';
import { createApp } from '../../workers/app';

export const DAY = 86_400_000;
export const START = Date.UTC(2015, 0, 5);

/** Daily random-walk bars stored for `symbol`; returns the series as stored. */
export async function storeDaily(symbol: string, bars: number, seed: number): Promise<OhlcvSeries> {
  const s = randomWalkSeries({ bars, seed, volatility: 0.02, stepMs: DAY, start: START });
  const rows = rowsFromSeries(s);
  for (let i = 0; i < rows.length; i += 500) await importBars(env, symbol, '1d', rows.slice(i, i + 500));
  return seriesFromRows(rows);
}

/**
 * Calls a fresh app with some vars overridden (e.g. a low `INLINE_BACKTEST_MAX_BARS`), so the
 * queued path runs without storing 50,000 bars. Bindings are the real ones, so messages still
 * go through the real queue to the Worker's consumer.
 */
export async function apiWith(
  vars: Partial<Env> & ConfigVars,
  path: string,
  init: RequestInit & { key?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://skippy.test${path}`, { ...init, headers }),
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

export function post(
  body: unknown,
  key: string,
  headers: Record<string, string> = {},
): RequestInit & { key: string } {
  return {
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export interface JobView {
  id: string;
  status: string;
  mode: string;
  cached: boolean;
  progress: number;
  attempts: number;
  bars: number | null;
  strategy: string;
  error: string | null;
  stats: Record<string, number | string | null> | null;
  tradeCount: number | null;
}

export async function jobRow(id: string) {
  return env.DB.prepare(
    'SELECT status, attempts, error, progress, lease_until, completed_at FROM backtests WHERE id = ?',
  )
    .bind(id)
    .first<{
      status: string;
      attempts: number;
      error: string | null;
      progress: number;
      lease_until: number | null;
      completed_at: number | null;
    }>();
}

export async function waitForStatus(id: string, status: string, timeout = 20_000): Promise<void> {
  await vi.waitFor(
    async () => {
      expect((await jobRow(id))?.status).toBe(status);
    },
    { timeout, interval: 100 },
  );
}

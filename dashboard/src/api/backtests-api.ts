import type { z } from 'zod';
import type { BacktestRequest as BacktestRequestSchema } from '../../../schema/contracts/backtests';
import { expectObject, isObject, type Json, num, str, unwrap } from './guards';
import type { HttpClient } from './http-client';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The body of `POST /api/v1/backtests` (schema/contracts/backtests.ts). */
export type BacktestRequest = z.input<typeof BacktestRequestSchema>;

/** A backtest run as the dashboard shows it (normalised from the API's answer). */
export interface BacktestRun {
  id: string;
  status: RunStatus;
  symbol: string | null;
  strategy: string | null;
  createdAt: string | null;
  /** Bars the run covered and trades it made, when known. */
  bars: number | null;
  tradeCount: number | null;
  /** 0..1 when the server reports progress. */
  progress: number | null;
  stats: Record<string, string | number | null> | null;
  error: string | null;
  /** An inline answer already carries its first trades and equity curve. */
  inline: { trades: Trade[]; truncated: boolean; equity: EquityPoint[] } | null;
}

export interface Trade {
  size: number;
  entryTime: string;
  exitTime: string | null;
  entryPrice: number;
  exitPrice: number | null;
  /** Null where the engine reports NaN. */
  pnl: number | null;
  returnPct: number | null;
}

export interface EquityPoint {
  t: number;
  equity: number;
  drawdown: number;
}

const STATUSES: RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];

const time = (v: unknown): number | null =>
  num(v) ?? (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null);

function progressOf(r: Json): number | null {
  const p = r.progress;
  if (typeof p === 'number') return p > 1 ? p / 100 : p;
  if (isObject(p)) {
    const done = num(p.barsDone) ?? num(p.done);
    const total = num(p.totalBars) ?? num(p.total);
    if (done !== null && total) return done / total;
    const f = num(p.fraction) ?? num(p.percent);
    if (f !== null) return f > 1 ? f / 100 : f;
  }
  return null;
}

/** Normalises a run from `POST /backtests`, `GET /backtests/:id` or the run list. */
export function parseRun(body: unknown): BacktestRun {
  const r = expectObject(unwrap(body), 'backtest');
  const id = str(r.id) ?? (num(r.id) !== null ? String(r.id) : null);
  if (!id) throw new Error('The server answered without a backtest id.');
  const result = isObject(r.result) ? r.result : r;
  const stats = isObject(result.stats) ? (result.stats as Record<string, string | number | null>) : null;
  const rawStatus = str(r.status);
  const status: RunStatus =
    rawStatus && (STATUSES as string[]).includes(rawStatus)
      ? (rawStatus as RunStatus)
      : stats
        ? 'completed'
        : 'queued';
  const strategy = isObject(r.strategy) ? str(r.strategy.name) : str(r.strategy);
  const error = isObject(r.error)
    ? str(r.error.message)
    : (str(r.error) ?? str(r.failureReason) ?? str(r.reason));
  const request = isObject(r.data) ? r.data : isObject(r.request) ? r.request : {};
  return {
    id,
    status,
    symbol: str(r.symbol) ?? str(request.symbol),
    strategy: strategy ?? (isObject(request.strategy) ? str(request.strategy.name) : null),
    createdAt: str(r.createdAt) ?? str(r.submittedAt),
    bars: num(r.bars),
    tradeCount: num(r.tradeCount),
    progress: progressOf(r),
    stats,
    error,
    inline:
      Array.isArray(r.trades) && r.equity !== undefined
        ? {
            trades: r.trades.map(parseTrade).filter((t): t is Trade => t !== null),
            truncated: r.tradesTruncated === true,
            equity: parseEquity({ equity: r.equity }),
          }
        : null,
  };
}

function parseTrade(v: unknown): Trade | null {
  if (!isObject(v)) return null;
  const size = num(v.size);
  const entryPrice = num(v.entryPrice);
  if (size === null || entryPrice === null) return null;
  const entry = time(v.entryTime);
  const exit = time(v.exitTime);
  return {
    size,
    entryTime: entry !== null ? new Date(entry).toISOString() : '',
    exitTime: exit !== null ? new Date(exit).toISOString() : null,
    entryPrice,
    exitPrice: num(v.exitPrice),
    pnl: num(v.pnl),
    returnPct: num(v.returnPct),
  };
}

/**
 * The equity curve: `{ equity: { t: [], v: [] } }` (schema/contracts/backtests.ts), or a list of
 * `{ t, equity, drawdown? }` points. Drawdown (1 − equity / running peak) is derived when absent.
 */
export function parseEquity(body: unknown): EquityPoint[] {
  const d = unwrap(body);
  const points: Array<{ t: number; equity: number; drawdown: number | null }> = [];
  const list = Array.isArray(d) ? d : isObject(d) && Array.isArray(d.points) ? d.points : null;
  if (list) {
    for (const p of list) {
      if (!isObject(p)) continue;
      const t = time(p.t ?? p.time);
      const equity = num(p.equity) ?? num(p.value) ?? num(p.v);
      if (t !== null && equity !== null) points.push({ t, equity, drawdown: num(p.drawdown) });
    }
  } else if (isObject(d)) {
    const curve = isObject(d.equity) ? d.equity : d;
    const ts = Array.isArray(curve.t) ? curve.t : Array.isArray(curve.time) ? curve.time : [];
    const vs = Array.isArray(curve.v) ? curve.v : Array.isArray(curve.equity) ? curve.equity : [];
    const dd = Array.isArray(curve.drawdown) ? curve.drawdown : [];
    for (let i = 0; i < Math.min(ts.length, vs.length); i++) {
      const t = time(ts[i]);
      const equity = num(vs[i]);
      if (t !== null && equity !== null) points.push({ t, equity, drawdown: num(dd[i]) });
    }
  }
  let peak = Number.NEGATIVE_INFINITY;
  return points.map((p) => {
    peak = Math.max(peak, p.equity);
    const derived = peak > 0 ? 1 - p.equity / peak : 0;
    return { t: p.t, equity: p.equity, drawdown: Math.abs(p.drawdown ?? derived) };
  });
}

const listOf = (body: unknown, key: string): unknown[] => {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return [];
  if (Array.isArray(body.data)) return body.data;
  if (Array.isArray(body[key])) return body[key] as unknown[];
  return [];
};

/** `/api/v1/backtests`: submit, poll, read results and list past runs. */
export class BacktestsApi {
  constructor(private readonly http: HttpClient) {}

  async submit(req: BacktestRequest): Promise<BacktestRun> {
    const key = `dash-${crypto.randomUUID()}`;
    return parseRun(
      await this.http.json('/api/v1/backtests', {
        method: 'POST',
        body: req,
        headers: { 'idempotency-key': key },
      }),
    );
  }

  async get(id: string): Promise<BacktestRun> {
    return parseRun(await this.http.json(`/api/v1/backtests/${encodeURIComponent(id)}`));
  }

  async trades(id: string): Promise<Trade[]> {
    const body = await this.http.json(`/api/v1/backtests/${encodeURIComponent(id)}/trades?limit=500`);
    return listOf(body, 'trades')
      .map(parseTrade)
      .filter((t): t is Trade => t !== null);
  }

  async equity(id: string, points = 500): Promise<EquityPoint[]> {
    return parseEquity(
      await this.http.json(`/api/v1/backtests/${encodeURIComponent(id)}/equity?points=${points}`),
    );
  }

  async list(): Promise<BacktestRun[]> {
    const out: BacktestRun[] = [];
    for (const r of listOf(await this.http.json('/api/v1/backtests'), 'runs')) {
      try {
        out.push(parseRun(r));
      } catch {
        // Skip a malformed row rather than hide the whole list.
      }
    }
    return out;
  }
}

import WebSocket from 'ws';
import { z } from 'zod';
import { BACKTEST_BODY, SLO, STREAM_SYMBOLS, SYMBOLS } from '../lib/slo.js';
import { constantArrivalRate, timedFetch } from './open-model';
import { errorRate, type Outcome, type Summary, summarize } from './stats';

export interface Target {
  baseUrl: string;
  /** A key with every scope the scenarios need (admin), on the `high` rate-limit tier. */
  key: string;
}

export interface Row {
  scenario: string;
  summary: Summary;
  p95Slo: number;
  errorSlo: number;
  note?: string;
}

export function passes(row: Row): boolean {
  return row.summary.count > 0 && row.summary.p95 < row.p95Slo && errorRate(row.summary) <= row.errorSlo;
}

const auth = (t: Target, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${t.key}`,
  ...extra,
});

async function run(
  name: string,
  p95Slo: number,
  errorSlo: number,
  rate: number,
  durationMs: number,
  fn: (i: number) => Promise<Outcome>,
): Promise<Row> {
  const { outcomes, dropped } = await constantArrivalRate({ rate, durationMs, maxInFlight: 64, run: fn });
  return { scenario: name, summary: summarize(outcomes, dropped), p95Slo, errorSlo };
}

/**
 * The in-run baseline: `GET /api/health` (no key, no storage) at the same fixed rate, so that a
 * scenario's p95 can be read as a ratio to what the machine did in the same minutes.
 */
export function healthBaseline(t: Target, rate: number, durationMs: number): Promise<Row> {
  return run('baseline GET /api/health', SLO.marketDataP95Ms, 0, rate, durationMs, () =>
    timedFetch(`${t.baseUrl}/api/health`, {}),
  );
}

export function marketData(t: Target, rate: number, durationMs: number): Promise<Row> {
  return run(
    'market data (symbols, quotes, bars)',
    SLO.marketDataP95Ms,
    SLO.criticalErrorRate,
    rate,
    durationMs,
    (i) => {
      const s = SYMBOLS[i % SYMBOLS.length];
      const path =
        i % 3 === 0
          ? '/api/v1/symbols'
          : i % 3 === 1
            ? `/api/v1/quotes/${s}`
            : `/api/v1/bars/${s}?timeframe=1d&limit=100`;
      return timedFetch(`${t.baseUrl}${path}`, { headers: auth(t) });
    },
  );
}

export function predictions(t: Target, rate: number, durationMs: number): Promise<Row> {
  return run('predictions', SLO.predictionsP95Ms, SLO.criticalErrorRate, rate, durationMs, (i) =>
    timedFetch(`${t.baseUrl}/api/v1/predictions/${SYMBOLS[i % SYMBOLS.length]}?horizon=1d`, {
      headers: auth(t),
    }),
  );
}

export function backtests(t: Target, rate: number, durationMs: number): Promise<Row> {
  return run('backtests (inline)', SLO.backtestsP95Ms, SLO.criticalErrorRate, rate, durationMs, () =>
    timedFetch(`${t.baseUrl}/api/v1/backtests`, {
      method: 'POST',
      headers: auth(t, { 'content-type': 'application/json' }),
      body: JSON.stringify(BACKTEST_BODY),
    }),
  );
}

/** Reads under `faultRate` D1 failures; half skip fresh cache copies so they reach D1. */
export async function chaos(t: Target, rate: number, durationMs: number, faultRate = 0.2): Promise<Row> {
  for (const s of SYMBOLS)
    await timedFetch(`${t.baseUrl}/api/v1/bars/${s}?timeframe=1d&limit=100`, { headers: auth(t) });
  await timedFetch(`${t.baseUrl}/api/v1/symbols`, { headers: auth(t) });
  const put = await fetch(`${t.baseUrl}/api/v1/admin/faults`, {
    method: 'PUT',
    headers: auth(t, { 'content-type': 'application/json' }),
    body: JSON.stringify({ d1ErrorRate: faultRate, durationSeconds: Math.ceil(durationMs / 1000) + 60 }),
  });
  if (put.status !== 200) throw new Error(`could not inject faults: HTTP ${put.status}`);
  try {
    const row = await run(
      `chaos: reads with ${Math.round(faultRate * 100)} % D1 failures`,
      SLO.marketDataP95Ms * 5,
      SLO.chaosServerErrorRate,
      rate,
      durationMs,
      (i) => {
        const s = SYMBOLS[i % SYMBOLS.length];
        const path = i % 3 === 0 ? '/api/v1/symbols' : `/api/v1/bars/${s}?timeframe=1d&limit=100`;
        return timedFetch(`${t.baseUrl}${path}`, {
          headers: auth(t, i % 2 === 0 ? { 'cache-control': 'no-cache' } : {}),
        });
      },
    );
    row.note = `${row.summary.stale} stale answers`;
    return row;
  } finally {
    await fetch(`${t.baseUrl}/api/v1/admin/faults`, { method: 'DELETE', headers: auth(t) });
  }
}

/**
 * The k6 WebSocket scenario (load-tests/k6-websocket-test.js): `sockets` clients opened at once,
 * socket n subscribed to two of the simulator's symbols (n and n + 1), trades and quotes, acking
 * every 8 data frames, for `durationMs`; each message's delivery latency is its receive time minus
 * its server timestamp `st` (same host clock). Refused upgrades (a 429 included) count as failures.
 */
export async function websocket(t: Target, sockets: number, durationMs: number): Promise<Row> {
  const outcomes: Outcome[] = [];
  let failures = 0;
  const refusals = new Map<string, number>();
  const url = `${t.baseUrl.replace(/^http/, 'ws')}/api/v1/stream`;
  const started = performance.now();
  let subscribedAt = 0;
  let subscribed = 0;
  const clients = await Promise.all(
    Array.from({ length: sockets }, (_, n) =>
      new Promise<WebSocket | null>((resolve) => {
        const a = STREAM_SYMBOLS[n % STREAM_SYMBOLS.length];
        const b = STREAM_SYMBOLS[(n + 1) % STREAM_SYMBOLS.length];
        // Subscribed in the upgrade URL, as the shipped client and the k6 script do.
        const ws = new WebSocket(`${url}?subscribe=${a},${b}&channels=trades,quotes&bars=0`, {
          headers: auth(t),
          perMessageDeflate: false,
        });
        const timer = setTimeout(() => {
          ws.terminate();
          resolve(null);
        }, 15_000);
        // Flow control as the shipped client does it (docs/streaming.md, "Acks"): ack at half of the
        // welcome's ackEvery frames or ackBytes bytes, the first time at a random phase.
        let unacked = 0;
        let unackedBytes = 0;
        let ackEvery = 1024;
        let ackBytes = 128 * 1024;
        let ackAt = 1 + Math.floor(Math.random() * ackEvery);
        ws.on('open', () => {
          clearTimeout(timer);
          resolve(ws);
        });
        let snapshots = 0;
        ws.on('message', (data) => {
          const now = Date.now();
          let frame: unknown;
          try {
            frame = JSON.parse(data.toString());
          } catch {
            return;
          }
          const limits = welcomeLimits(frame);
          if (limits) {
            ackEvery = Math.max(1, Math.floor(limits.ackEvery / 2));
            ackBytes = limits.ackBytes / 2;
            ackAt = 1 + Math.floor(Math.random() * ackEvery);
          }
          if (isSnapshot(frame) && ++snapshots === 2) {
            subscribed++;
            subscribedAt = performance.now();
          }
          if (!isDataFrame(frame)) return;
          for (const m of frame.messages) outcomes.push({ ms: now - m.st, status: 200 });
          unackedBytes += (data as Buffer).length;
          if (++unacked >= ackAt || unackedBytes >= ackBytes) {
            ws.send(JSON.stringify({ type: 'ack', frames: unacked }));
            unacked = 0;
            unackedBytes = 0;
            ackAt = ackEvery;
          }
        });
        ws.on('unexpected-response', (_req, res) => {
          const what = `HTTP ${res.statusCode}`;
          refusals.set(what, (refusals.get(what) ?? 0) + 1);
          clearTimeout(timer);
          ws.terminate();
          resolve(null);
        });
        ws.on('error', () => {
          clearTimeout(timer);
          resolve(null);
        });
      }).then((ws) => {
        if (!ws) failures++;
        return ws;
      }),
    ),
  );
  const opened = performance.now() - started;
  await new Promise((r) => setTimeout(r, durationMs));
  for (const ws of clients) ws?.close(1000);
  const summary = summarize(outcomes);
  summary.failed += failures;
  const refused = [...refusals].map(([what, n]) => `${n}× ${what}`).join(', ');
  return {
    scenario: `websocket delivery (${sockets} sockets, 2 symbols each)`,
    summary,
    p95Slo: SLO.wsDeliveryP95Ms,
    errorSlo: 0,
    note: [
      `${outcomes.length} messages`,
      `${sockets - failures} open in ${(opened / 1000).toFixed(1)} s, ${subscribed} subscribed by ${((subscribedAt - started) / 1000).toFixed(1)} s`,
      failures ? `${failures} sockets failed to open${refused ? ` (${refused})` : ''}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  };
}

/** The flow-control limits of a `welcome` frame (schema/contracts/stream.ts), else null. */
function welcomeLimits(f: unknown): { ackEvery: number; ackBytes: number } | null {
  const parsed = Welcome.safeParse(f);
  return parsed.success ? parsed.data.limits : null;
}

const Welcome = z.object({
  type: z.literal('welcome'),
  limits: z.object({ ackEvery: z.number().int().positive(), ackBytes: z.number().int().positive() }),
});

function isSnapshot(f: unknown): boolean {
  return typeof f === 'object' && f !== null && 'type' in f && f.type === 'snapshot';
}

function isDataFrame(f: unknown): f is { type: 'data'; messages: Array<{ st: number }> } {
  if (typeof f !== 'object' || f === null || !('type' in f) || f.type !== 'data' || !('messages' in f))
    return false;
  return (
    Array.isArray(f.messages) &&
    f.messages.every(
      (m: unknown) => typeof m === 'object' && m !== null && 'st' in m && typeof m.st === 'number',
    )
  );
}

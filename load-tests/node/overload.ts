import { BACKTEST_BODY, SLO, SYMBOLS } from '../lib/slo.js';
import { constantArrivalRate } from './open-model';
import type { Outcome } from './stats';
import { percentile } from './stats';

/**
 * One overload step: the k6 api-slo mix (per 15 arrivals: 4 predictions, 1 inline backtest,
 * 10 market-data reads) at a fixed arrival rate, tallied by status class so that shed answers
 * (429/503) are told apart from failures (other 5xx, timeouts).
 */
export interface OverloadTarget {
  baseUrl: string;
  /** A key with the `trade` and `read` scopes on the `high` rate-limit tier (the admin demo key). */
  key: string;
}

export type RequestKind = 'predictions' | 'backtests' | 'market';

interface Attempt extends Outcome {
  kind: RequestKind;
  timedOut: boolean;
  retryAfter: boolean;
  /** For a failure (a 5xx other than 503, or no answer): what it said, to tell whose it was. */
  detail?: string;
}

export interface StepResult {
  rate: number;
  seconds: number;
  offered: number;
  /** Arrivals the client could not send because its own in-flight cap was full. */
  clientDropped: number;
  /** Responses per second (any status). */
  answeredRate: number;
  /** 2xx per second. */
  servedRate: number;
  counts: { ok2xx: number; s429: number; s503: number; other5xx: number; other4xx: number; timeouts: number };
  /** Share of 429/503 answers that carried `Retry-After`. */
  retryAfterShare: number;
  /** Latency of 2xx answers (ms). */
  p50: number;
  p95: number;
  p99: number;
  /** p95 of 2xx answers per request kind, each judged against its own SLO. */
  p95ByKind: Record<RequestKind, number>;
  /** p95 of the shed (429/503) answers: how fast "not now" is. */
  shedP95: number;
  withinSlo: boolean;
  /** Distinct failures (other 5xx and unanswered requests other than timeouts) with their counts. */
  failures: Array<{ detail: string; count: number }>;
}

export const KIND_SLO_MS: Record<RequestKind, number> = {
  predictions: SLO.predictionsP95Ms,
  backtests: SLO.backtestsP95Ms,
  market: SLO.marketDataP95Ms,
};

/** The request for arrival `i` of the mix. */
export function requestFor(
  t: OverloadTarget,
  i: number,
): { kind: RequestKind; url: string; init: RequestInit } {
  const auth = { authorization: `Bearer ${t.key}` };
  const slot = i % 15;
  const symbol = SYMBOLS[Math.floor(i / 15) % SYMBOLS.length] ?? 'AAPL';
  if (slot < 4)
    return {
      kind: 'predictions',
      url: `${t.baseUrl}/api/v1/predictions/${symbol}?horizon=1d`,
      init: { headers: auth },
    };
  if (slot === 4)
    return {
      kind: 'backtests',
      url: `${t.baseUrl}/api/v1/backtests`,
      init: {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(BACKTEST_BODY),
      },
    };
  const path =
    slot % 3 === 0
      ? '/api/v1/symbols'
      : slot % 3 === 1
        ? `/api/v1/quotes/${symbol}`
        : `/api/v1/bars/${symbol}?timeframe=1d&limit=100`;
  return { kind: 'market', url: `${t.baseUrl}${path}`, init: { headers: auth } };
}

/**
 * One request, bounded twice: the fetch's own abort signal, and a hard timer in case a body
 * stream ignores the abort (seen with undici under heavy overload), so a step always ends.
 */
function attempt(t: OverloadTarget, i: number, timeoutMs: number): Promise<Attempt> {
  const kind = requestFor(t, i).kind;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hard = new Promise<Attempt>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind, ms: timeoutMs, status: 0, timedOut: true, retryAfter: false }),
      timeoutMs + 1_000,
    );
  });
  return Promise.race([send(t, i, timeoutMs), hard]).finally(() => clearTimeout(timer));
}

async function send(t: OverloadTarget, i: number, timeoutMs: number): Promise<Attempt> {
  const { kind, url, init } = requestFor(t, i);
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const failed = res.status >= 500 && res.status !== 503;
    let body = '';
    if (failed) body = await res.text();
    else await res.arrayBuffer();
    return {
      kind,
      ms: performance.now() - t0,
      status: res.status,
      timedOut: false,
      retryAfter: res.headers.has('retry-after'),
      ...(failed
        ? { detail: `${res.status} ${body.replace(/"traceId":"[0-9a-f]+"/, '').slice(0, 160)}` }
        : {}),
    };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return {
      kind,
      ms: performance.now() - t0,
      status: 0,
      timedOut,
      retryAfter: false,
      ...(timedOut
        ? {}
        : { detail: `no answer ${err instanceof Error ? err.message : String(err)}${cause}` }),
    };
  }
}

/** Runs the mix at `rate` arrivals/s for `seconds` and tallies the answers. */
export async function runStep(
  t: OverloadTarget,
  rate: number,
  seconds: number,
  opts: { timeoutMs?: number; maxInFlight?: number } = {},
): Promise<StepResult> {
  const outcomes: Attempt[] = [];
  const { dropped } = await constantArrivalRate({
    rate,
    durationMs: seconds * 1000,
    maxInFlight: opts.maxInFlight ?? 4000,
    run: async (i) => {
      const a = await attempt(t, i, opts.timeoutMs ?? 15_000);
      outcomes.push(a);
      return a;
    },
  });
  const ok = outcomes.filter((o) => o.status >= 200 && o.status < 300);
  const shed = outcomes.filter((o) => o.status === 429 || o.status === 503);
  const sorted = (xs: Attempt[]) => xs.map((o) => o.ms).sort((a, b) => a - b);
  const okSorted = sorted(ok);
  const p95ByKind = {} as Record<RequestKind, number>;
  for (const kind of Object.keys(KIND_SLO_MS) as RequestKind[])
    p95ByKind[kind] = percentile(sorted(ok.filter((o) => o.kind === kind)), 95);
  const counts = {
    ok2xx: ok.length,
    s429: outcomes.filter((o) => o.status === 429).length,
    s503: outcomes.filter((o) => o.status === 503).length,
    other5xx: outcomes.filter((o) => o.status >= 500 && o.status !== 503).length,
    other4xx: outcomes.filter((o) => o.status >= 400 && o.status < 500 && o.status !== 429).length,
    timeouts: outcomes.filter((o) => o.status === 0).length,
  };
  const failures = counts.other5xx + counts.timeouts;
  const withinSlo =
    ok.length > 0 &&
    (Object.keys(KIND_SLO_MS) as RequestKind[]).every(
      (k) => !(p95ByKind[k] >= KIND_SLO_MS[k]), // NaN (no answers of a kind) does not fail the step by itself
    ) &&
    failures / Math.max(1, outcomes.length) <= SLO.criticalErrorRate;
  return {
    rate,
    seconds,
    offered: outcomes.length + dropped,
    clientDropped: dropped,
    answeredRate: (outcomes.length - counts.timeouts) / seconds,
    servedRate: ok.length / seconds,
    counts,
    retryAfterShare: shed.length ? shed.filter((o) => o.retryAfter).length / shed.length : Number.NaN,
    p50: percentile(okSorted, 50),
    p95: percentile(okSorted, 95),
    p99: percentile(okSorted, 99),
    p95ByKind,
    shedP95: percentile(sorted(shed), 95),
    withinSlo,
    failures: tallyFailures(outcomes),
  };
}

function tallyFailures(outcomes: Attempt[]): Array<{ detail: string; count: number }> {
  const byDetail = new Map<string, number>();
  for (const o of outcomes) if (o.detail) byDetail.set(o.detail, (byDetail.get(o.detail) ?? 0) + 1);
  return [...byDetail].map(([detail, count]) => ({ detail, count })).sort((a, b) => b.count - a.count);
}

/** One of every request of the mix in turn, for every symbol: models trained and caches filled. */
export async function warmUp(t: OverloadTarget): Promise<void> {
  for (let i = 0; i < 15 * SYMBOLS.length; i++) await attempt(t, i, 60_000);
}

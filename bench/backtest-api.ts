/**
 * `npm run bench:backtest-api`: latency of the inline `POST /api/v1/backtests` at fixed request
 * rates against its own `wrangler dev` (temp state). 10 years of daily bars (2,520 weekdays) are
 * imported through `POST /api/v1/ingest/bars` as CSV; then, ROUNDS times over, every case runs a
 * WARMUP s warm-up and a DURATION s measured load:
 *   - baseline: `GET /api/health` (no auth, no I/O) at the same rate;
 *   - reference: `GET /api/v1/bars?limit=10`, uncached (auth + one small D1 read: the floor of
 *     any authenticated call);
 *   - inline, engine run: every request differs (cash), so none is a stored result; the series
 *     is the same range each time (the isolate keeps it once D1 confirms it unchanged);
 *   - inline, engine run, series not in memory: `from` moves back a day each request (same
 *     bars, another range key), so every request reads and hashes the 2,520 bars from D1;
 *   - inline, cached: one request repeated, answered from the content-addressed result.
 * Two rates: LOW_RATE (default 5 req/s: about one request in flight at a time) and RATE
 * (default 20 req/s). Arrivals are open loop and evenly spaced (request i is sent at
 * t0 + i / rate whatever is still in flight), and latency runs from the scheduled send time, so
 * queueing behind slow requests counts in full (no coordinated omission).
 *
 * For comparison with earlier figures, the baseline and the engine run are also measured with
 * autocannon at `overallRate` = RATE over 10 connections (`AUTOCANNON=0` skips them): autocannon
 * sends each connection's per-second quota back to back at the start of every second (bursts of
 * 10 concurrent requests) and weights its histogram with its coordinated-omission correction.
 *
 * Reported per case: the median over the rounds of p50, p95 and p99 (and the p95 spread), and
 * p95 and p99 over the baseline's at the same rate. Goal: inline p95 < 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, preparePlatform, startWrangler } from '../scripts/lib/platform';
import { median, spread, table } from './lib/stats';

const RATE = Number(process.env.RATE ?? 20);
const LOW_RATE = Number(process.env.LOW_RATE ?? 5);
const DURATION = Number(process.env.DURATION ?? 30);
const WARMUP = Number(process.env.WARMUP ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const AUTOCANNON = process.env.AUTOCANNON !== '0';
const AUTOCANNON_CONNECTIONS = 10;
const GOAL_MS = 50;
const SYMBOL = 'SPY';
const BARS = 2_520;
const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2005, 0, 3);

/** 2,520 weekdays of a seeded random walk as the import CSV. */
function tenYearsCsv(): { csv: string; from: number; to: number } {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const lines = ['Date,Open,High,Low,Close,Volume'];
  let close = 100;
  let t = FIRST_DAY;
  let first = 0;
  for (let n = 0; n < BARS; t += DAY) {
    const dow = new Date(t).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    if (n === 0) first = t;
    const open = close;
    close = Math.max(1, open * Math.exp((rnd() - 0.5) * 0.04));
    const high = Math.max(open, close) * (1 + rnd() * 0.01);
    const low = Math.min(open, close) * (1 - rnd() * 0.01);
    lines.push(
      `${new Date(t).toISOString().slice(0, 10)},${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${close.toFixed(4)},${Math.round(1e6 + rnd() * 1e6)}`,
    );
    n++;
  }
  return { csv: `${lines.join('\n')}\n`, from: first, to: t - DAY };
}

interface Target {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Built per request (so bodies can differ); undefined for GET. */
  body?: () => string;
}

interface Sample {
  latencies: number[];
  errors: number;
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function send(base: URL, t: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const body = t.body?.();
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        path: t.path,
        method: t.method,
        agent,
        headers: body === undefined ? t.headers : { ...t.headers, 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

/** Open-loop load: request i is sent at t0 + i / rate; latency counts from that scheduled time. */
async function paced(base: URL, t: Target, rate: number, seconds: number): Promise<Sample> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now() + 20;
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      send(base, t).then((ok) => {
        latencies.push(performance.now() - due);
        if (!ok) errors++;
      }),
    );
  }
  await Promise.all(inFlight);
  return { latencies, errors };
}

/** autocannon reports p90, p97.5 and p99; p95 is interpolated between p90 and p97.5. */
function autocannonP95(r: autocannon.Result): number {
  const l = r.latency as unknown as Record<string, number>;
  const p90 = l.p90 ?? 0;
  const p975 = l.p97_5 ?? p90;
  return p90 + ((p975 - p90) * (95 - 90)) / (97.5 - 90);
}

interface Figures {
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  errors: number;
}

const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-backtest-api-'));
const seed = await preparePlatform(dir);
const admin = seed.keys.find((k) => k.scopes.includes('admin'));
const ingest = seed.keys.find((k) => k.scopes.includes('ingest'));
if (!admin || !ingest) throw new Error('the demo seed has no admin or ingest key');
const platform = await startWrangler({
  port: await freePort(),
  persistTo: dir,
  vars: { SIMULATOR_ENABLED: 'false' },
});
const loadStart = loadavg()[0] ?? 0;

try {
  const base = new URL(platform.url);
  const { csv, from, to } = tenYearsCsv();
  const imported = await fetch(`${platform.url}/api/v1/ingest/bars?symbol=${SYMBOL}&timeframe=1d`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingest.key}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (!imported.ok) throw new Error(`bar import failed: ${imported.status} ${await imported.text()}`);

  // The admin key is in the high rate-limit tier, so the limiter never answers 429 here.
  const auth = { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' };
  const request = (cash: number, start = from) =>
    JSON.stringify({
      data: { symbol: SYMBOL, timeframe: '1d', from: start, to },
      strategy: { name: 'sma-cross', params: { fast: 10, slow: 50 } },
      cash,
      commission: 0.001,
    });
  const probe = await fetch(`${platform.url}/api/v1/backtests`, {
    method: 'POST',
    headers: auth,
    body: request(10_000),
  });
  const probeBody = (await probe.json()) as { bars?: number };
  if (probe.status !== 201 || probeBody.bars !== BARS) {
    throw new Error(`inline probe failed: ${probe.status} ${JSON.stringify(probeBody).slice(0, 500)}`);
  }

  let cash = 20_000;
  let shift = 0;
  const health: Target = { method: 'GET', path: '/api/health', headers: {} };
  const barsRef: Target = {
    method: 'GET',
    path: `/api/v1/bars/${SYMBOL}?timeframe=1d&limit=10`,
    headers: { authorization: auth.authorization, 'cache-control': 'no-cache' },
  };
  const engineRun: Target = {
    method: 'POST',
    path: '/api/v1/backtests',
    headers: auth,
    body: () => request(cash++),
  };
  // Whole days before the first bar: the same 2,520 bars under another range key each time.
  const engineCold: Target = {
    method: 'POST',
    path: '/api/v1/backtests',
    headers: auth,
    body: () => request(cash++, from - (1 + (shift++ % 5_000)) * DAY),
  };
  const cachedResult: Target = {
    method: 'POST',
    path: '/api/v1/backtests',
    headers: auth,
    body: () => request(10_000),
  };
  const cases: Array<[string, Target]> = [
    ['baseline GET /api/health', health],
    ['reference GET /api/v1/bars limit=10, uncached', barsRef],
    [`POST /api/v1/backtests inline, ${BARS} bars, engine run`, engineRun],
    [`  same, series not in memory (read from D1)`, engineCold],
    [`POST /api/v1/backtests inline, ${BARS} bars, cached result`, cachedResult],
  ];
  const rates = [LOW_RATE, RATE];
  const results = new Map<string, Figures[]>();
  const keep = (key: string, f: Figures) => results.set(key, [...(results.get(key) ?? []), f]);
  const acCases: Array<[string, Target]> = [
    ['baseline GET /api/health', health],
    [`POST /api/v1/backtests inline, ${BARS} bars, engine run`, engineRun],
  ];

  for (let round = 1; round <= ROUNDS; round++) {
    for (const rate of rates) {
      for (const [name, target] of cases) {
        await paced(base, target, rate, WARMUP);
        const s = await paced(base, target, rate, DURATION);
        const sorted = [...s.latencies].sort((a, b) => a - b);
        keep(`paced|${rate}|${name}`, {
          p50: pct(sorted, 50),
          p95: pct(sorted, 95),
          p99: pct(sorted, 99),
          requests: sorted.length,
          errors: s.errors,
        });
      }
    }
    if (AUTOCANNON) {
      for (const [name, target] of acCases) {
        const options = (): autocannon.Options => ({
          url: `${platform.url}${target.path}`,
          method: target.method,
          headers: target.headers,
          connections: AUTOCANNON_CONNECTIONS,
          overallRate: RATE,
          ...(target.body
            ? {
                requests: [
                  {
                    method: target.method,
                    headers: target.headers,
                    setupRequest: (req) => ({ ...req, body: target.body?.() }),
                  },
                ],
              }
            : {}),
        });
        await autocannon({ ...options(), duration: WARMUP });
        const r = await autocannon({ ...options(), duration: DURATION });
        keep(`autocannon|${RATE}|${name}`, {
          p50: r.latency.p50,
          p95: autocannonP95(r),
          p99: r.latency.p99,
          requests: r.requests.total,
          errors: r.errors + r.timeouts + r.non2xx,
        });
      }
    }
    console.log(`round ${round}/${ROUNDS} done (load average ${loadavg()[0]?.toFixed(2)})`);
  }

  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const section = (mode: string, rate: number, names: string[]) => {
    const base = results.get(`${mode}|${rate}|${names[0]}`) ?? [];
    const b95 = median(base.map((f) => f.p95));
    const b99 = median(base.map((f) => f.p99));
    return names.map((name) => {
      const fs = results.get(`${mode}|${rate}|${name}`) ?? [];
      const p95 = median(fs.map((f) => f.p95));
      const p99 = median(fs.map((f) => f.p99));
      return {
        case: name,
        p50_ms: fmt(median(fs.map((f) => f.p50))),
        p95_ms: fmt(p95),
        p95_spread: spread(fs.map((f) => f.p95)),
        p99_ms: fmt(p99),
        requests: fs.reduce((n, f) => n + f.requests, 0),
        errors: fs.reduce((n, f) => n + f.errors, 0),
        p95_vs_baseline: (p95 / b95).toFixed(2),
        p99_vs_baseline: (p99 / b99).toFixed(2),
      };
    });
  };

  console.log(
    `\nwrangler dev on this machine, ${ROUNDS} rounds of ${WARMUP} s warm-up + ${DURATION} s per case; medians over the rounds (spread: min–max of the rounds' p95); load average ${loadStart.toFixed(2)} at start, ${loadavg()[0]?.toFixed(2)} at the end\n`,
  );
  const names = cases.map(([n]) => n);
  const summary: string[] = [];
  for (const rate of rates) {
    console.log(`open loop, evenly spaced, ${rate} req/s:\n`);
    const rows = section('paced', rate, names);
    console.log(`${table(rows)}\n`);
    const engine = rows[2];
    if (engine) {
      summary.push(
        `${rate} req/s: inline engine run p50 ${engine.p50_ms} / p95 ${engine.p95_ms} / p99 ${engine.p99_ms} ms vs baseline p95 ${rows[0]?.p95_ms} ms (ratio ${engine.p95_vs_baseline}): ${Number(engine.p95_ms) < GOAL_MS ? 'meets' : 'MISSES'} the ${GOAL_MS} ms goal`,
      );
    }
  }
  if (AUTOCANNON) {
    console.log(
      `autocannon, overallRate ${RATE} over ${AUTOCANNON_CONNECTIONS} connections (bursts at each second; as the earlier figures):\n`,
    );
    console.log(
      `${table(
        section(
          'autocannon',
          RATE,
          acCases.map(([n]) => n),
        ),
      )}\n`,
    );
  }
  for (const line of summary) console.log(line);
} finally {
  agent.destroy();
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}

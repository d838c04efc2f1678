/**
 * `npm run bench:backtest-api`: latency of the inline `POST /api/v1/backtests` under a fixed
 * request rate against its own `wrangler dev` (temp state). 10 years of daily bars (2,520
 * weekdays) are imported through `POST /api/v1/ingest/bars` as CSV, then each case runs a
 * WARMUP s warm-up and a DURATION s measured load at RATE requests/s:
 *   - baseline: `GET /api/health` (no auth, no I/O) at the same rate;
 *   - inline, engine run: every request differs (cash), so none is a cached result;
 *   - inline, cached: one request repeated, answered from the content-addressed result.
 * Goal: inline p95 < 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, preparePlatform, startWrangler } from '../scripts/lib/platform';
import { table } from './lib/stats';

const RATE = Number(process.env.RATE ?? 20);
const DURATION = Number(process.env.DURATION ?? 20);
const WARMUP = Number(process.env.WARMUP ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
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

/** autocannon reports p90, p97.5 and p99; p95 is interpolated between p90 and p97.5. */
function p95(r: autocannon.Result): number {
  const l = r.latency as unknown as Record<string, number>;
  const p90 = l.p90 ?? 0;
  const p975 = l.p97_5 ?? p90;
  return Math.round((p90 + ((p975 - p90) * (95 - 90)) / (97.5 - 90)) * 100) / 100;
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

try {
  const { csv, from, to } = tenYearsCsv();
  const imported = await fetch(`${platform.url}/api/v1/ingest/bars?symbol=${SYMBOL}&timeframe=1d`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingest.key}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (!imported.ok) throw new Error(`bar import failed: ${imported.status} ${await imported.text()}`);

  // The admin key is in the high rate-limit tier, so the limiter never answers 429 here.
  const auth = { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' };
  const request = (cash: number) =>
    JSON.stringify({
      data: { symbol: SYMBOL, timeframe: '1d', from, to },
      strategy: { name: 'sma-cross', params: { fast: 10, slow: 50 } },
      cash,
      commission: 0.001,
    });
  const probe = await fetch(`${platform.url}/api/v1/backtests`, {
    method: 'POST',
    headers: auth,
    body: request(10_000),
  });
  const probeBody = (await probe.json()) as { bars?: number; stats?: Record<string, unknown> };
  if (probe.status !== 201 || probeBody.bars !== BARS) {
    throw new Error(`inline probe failed: ${probe.status} ${JSON.stringify(probeBody).slice(0, 500)}`);
  }

  let cash = 20_000;
  const fixed = { connections: CONNECTIONS, overallRate: RATE };
  const engineRun = (): autocannon.Options => ({
    url: `${platform.url}/api/v1/backtests`,
    method: 'POST',
    headers: auth,
    requests: [{ method: 'POST', headers: auth, setupRequest: (req) => ({ ...req, body: request(cash++) }) }],
  });
  // Reference: the cheapest authenticated D1 read (auth + one small query), the floor of any API call here.
  const barsRef = (): autocannon.Options => ({
    url: `${platform.url}/api/v1/bars/${SYMBOL}?timeframe=1d&limit=10`,
    headers: { authorization: `Bearer ${admin.key}`, 'cache-control': 'no-cache' },
  });
  const one = { connections: 1 };
  const cases: Array<[string, () => autocannon.Options, { connections: number; overallRate?: number }]> = [
    ['baseline GET /api/health', () => ({ url: `${platform.url}/api/health` }), fixed],
    ['reference GET /api/v1/bars limit=10, uncached', barsRef, fixed],
    [`POST /api/v1/backtests inline, ${BARS} bars, engine run`, engineRun, fixed],
    [
      `POST /api/v1/backtests inline, ${BARS} bars, cached result`,
      () => ({
        url: `${platform.url}/api/v1/backtests`,
        method: 'POST',
        headers: auth,
        body: request(10_000),
      }),
      fixed,
    ],
    // One request at a time: the latency without queueing behind other requests.
    ['baseline GET /api/health, 1 connection', () => ({ url: `${platform.url}/api/health` }), one],
    ['reference GET /api/v1/bars limit=10, 1 connection', barsRef, one],
    [`POST /api/v1/backtests inline, ${BARS} bars, engine run, 1 connection`, engineRun, one],
  ];
  const rows: Array<Record<string, string | number>> = [];
  let baseP95 = 0;
  for (const [name, options, load] of cases) {
    await autocannon({ ...options(), ...load, duration: WARMUP });
    const r = await autocannon({ ...options(), ...load, duration: DURATION });
    const p = p95(r);
    if (name.startsWith('baseline')) baseP95 = p;
    rows.push({
      case: name,
      p50_ms: r.latency.p50,
      p95_ms: p,
      p99_ms: r.latency.p99,
      requests: r.requests.total,
      errors: r.errors + r.timeouts + r.non2xx,
      p95_vs_baseline: baseP95 ? (p / baseP95).toFixed(2) : '-',
    });
  }
  console.log(
    `\n${RATE} req/s fixed rate over ${CONNECTIONS} connections (the "1 connection" cases: closed loop), ${WARMUP} s warm-up + ${DURATION} s per case, wrangler dev on this machine, load average ${loadavg()[0]?.toFixed(2)}\n`,
  );
  console.log(table(rows));
  for (const row of [rows[2], rows[6]]) {
    if (row)
      console.log(
        `${row.case}: p95 ${row.p95_ms} ms, ${Number(row.p95_ms) < 50 ? 'meets' : 'MISSES'} the 50 ms goal`,
      );
  }
} finally {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}

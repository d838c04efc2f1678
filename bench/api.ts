/**
 * `npm run bench:api`: latency of the market-data reads under load against `wrangler dev`
 * (autocannon, 50 connections, DURATION seconds each), cold (`Cache-Control: no-cache`: D1 or the
 * room every time) and KV/memory-cached, next to `/api/health` (no auth, no I/O) as the baseline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, preparePlatform, startWrangler } from '../scripts/lib/platform';
import { table } from './lib/stats';

const DURATION = Number(process.env.DURATION ?? 20);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);

const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-api-'));
const seed = await preparePlatform(dir);
const admin = seed.keys.find((k) => k.scopes.includes('admin'))!;
const platform = await startWrangler({
  port: await freePort(),
  persistTo: dir,
  vars: { SIMULATOR_ENABLED: 'false' },
});

async function load(path: string, headers: Record<string, string>) {
  const r = await autocannon({
    url: `${platform.url}${path}`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
  });
  return {
    p50: r.latency.p50,
    p95: p95(r),
    p99: r.latency.p99,
    rps: Math.round(r.requests.average),
    errors: r.errors + r.non2xx,
  };
}

/** autocannon reports p90, p97.5 and p99; p95 is interpolated between p90 and p97.5. */
function p95(r: autocannon.Result): number {
  const l = r.latency as unknown as Record<string, number>;
  const p90 = l.p90 ?? 0;
  const p975 = l.p97_5 ?? p90;
  return Math.round((p90 + ((p975 - p90) * (95 - 90)) / (97.5 - 90)) * 100) / 100;
}

try {
  const auth = { authorization: `Bearer ${admin.key}` };
  const cold = { ...auth, 'cache-control': 'no-cache' };
  const rows: Array<Record<string, string | number>> = [];
  const cases: Array<[string, string, Record<string, string>]> = [
    ['baseline GET /api/health', '/api/health', {}],
    ['bars 1d limit=500, cold', '/api/v1/bars/AAPL?timeframe=1d&limit=500', cold],
    ['bars 1d limit=500, cached', '/api/v1/bars/AAPL?timeframe=1d&limit=500', auth],
    ['quotes, cold', '/api/v1/quotes/BTC-USD', cold],
    ['quotes, cached', '/api/v1/quotes/BTC-USD', auth],
  ];
  let baseP95 = 0;
  for (const [name, path, headers] of cases) {
    const m = await load(path, headers);
    if (name.startsWith('baseline')) baseP95 = m.p95;
    rows.push({
      case: name,
      p50_ms: m.p50,
      p95_ms: m.p95,
      p99_ms: m.p99,
      req_per_s: m.rps,
      errors: m.errors,
      p95_vs_baseline: baseP95 ? (m.p95 / baseP95).toFixed(2) : '-',
    });
  }
  console.log(`\n${CONNECTIONS} connections, ${DURATION} s per case, wrangler dev on this machine\n`);
  console.log(table(rows));
} finally {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * `npm run bench:overload`: the knee and past it (../shared/BENCHMARKS.md, "Overload"). Starts a
 * fresh seeded `wrangler dev` (simulator off), drives the k6 api-slo mix at fixed arrival rates
 * (open model) stepping up until p95 of a request kind leaves its SLO or errors exceed the budget
 * (the last passing rate is the knee), then 2× and 4× the knee, and reports workerd's resident
 * memory before, at peak and after an idle period, and the API guard's load-shed limit after each
 * step (`skippy_load_shed_limit`: whether the adaptive limit shrank).
 *
 * Env: STEPS (comma-separated knee candidates, req/s), STEP_SECONDS (10), OVER_SECONDS (30),
 * IDLE_SECONDS (30, after the load), KNEE (skip the search), LOAD_SHED_MAX_INFLIGHT,
 * LOAD_SHED_MAX_WAIT_MS, LOAD_SHED_TARGET_MS and LOG_LEVEL (passed to the Worker when set), DIRECT=1
 * (requests go to the user Worker's own workerd socket instead of through wrangler dev's proxy,
 * which relays every request on the same two cores: the shedder's own answer time without it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStep, type StepResult, warmUp } from '../load-tests/node/overload';
import { parseExposition, sampleSum } from '../platform/metrics/prometheus-text';
import { freePort, preparePlatform, startWrangler } from '../scripts/lib/platform';
import { directUrl, workerdRssMiB } from './lib/processes';
import { table } from './lib/stats';

const STEPS = (process.env.STEPS ?? '10,20,30,45,60,80,100,130,160,200,250,300')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 10);
const OVER_SECONDS = Number(process.env.OVER_SECONDS ?? 30);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 30);
const DIRECT = process.env.DIRECT === '1';

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : '—');

/**
 * The API guard's limit as `/metrics` reports it right after a step (the tightest isolate's; below
 * LOAD_SHED_MAX_INFLIGHT while the adaptive limit has shrunk), or '—' when the scrape fails.
 */
async function shedLimit(baseUrl: string, key: string): Promise<string> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(10_000),
    });
    const samples = parseExposition(await res.text());
    return samples.some((x) => x.name === 'skippy_load_shed_limit')
      ? String(sampleSum(samples, 'skippy_load_shed_limit', { guard: 'api' }))
      : '—';
  } catch {
    return '—';
  }
}

function row(label: string, r: StepResult, limit: string): Record<string, string | number> {
  return {
    step: label,
    offered_rps: fmt(r.offered / r.seconds),
    answered_rps: fmt(r.answeredRate),
    served_2xx_rps: fmt(r.servedRate),
    p50_ms: fmt(r.p50),
    p95_ms: fmt(r.p95),
    p99_ms: fmt(r.p99),
    'p95 pred/bt/md': `${fmt(r.p95ByKind.predictions)}/${fmt(r.p95ByKind.backtests)}/${fmt(r.p95ByKind.market)}`,
    n_2xx: r.counts.ok2xx,
    n_429: r.counts.s429,
    n_503: r.counts.s503,
    other_5xx: r.counts.other5xx,
    other_4xx: r.counts.other4xx,
    timeouts: r.counts.timeouts,
    shed_p95_ms: fmt(r.shedP95),
    retry_after: Number.isFinite(r.retryAfterShare) ? `${Math.round(r.retryAfterShare * 100)} %` : '—',
    slo: r.withinSlo ? 'within' : 'MISS',
    limit_after: limit,
  };
}

/** Waits until `/api/health` answers in under 100 ms (the backlog of a step has drained). */
async function drain(baseUrl: string, maxSeconds = 90): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  while (Date.now() < deadline) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.ok && performance.now() - t0 < 100) return;
    } catch {
      // still busy
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-overload-'));
const seed = await preparePlatform(dir);
const admin = seed.keys.find((k) => k.scopes.includes('admin'));
if (!admin) throw new Error('no admin demo key');
const vars: Record<string, string> = { SIMULATOR_ENABLED: 'false' };
for (const name of ['LOAD_SHED_MAX_INFLIGHT', 'LOAD_SHED_MAX_WAIT_MS', 'LOAD_SHED_TARGET_MS', 'LOG_LEVEL']) {
  const v = process.env[name];
  if (v) vars[name] = v;
}
const platform = await startWrangler({ port: await freePort(), persistTo: dir, vars, timeoutMs: 120_000 });
const baseUrl = DIRECT ? await directUrl(platform.child.pid ?? 0, platform.url) : platform.url;
const target = { baseUrl, key: admin.key };
const rootPid = platform.child.pid ?? 0;

try {
  // Warm-up: one of each request in turn (first models trained, caches filled), then light load.
  await warmUp(target);
  await runStep(target, 5, 10);
  await drain(baseUrl);
  const memBefore = workerdRssMiB(rootPid);
  let memPeak = memBefore;
  const sampler = setInterval(() => {
    memPeak = Math.max(memPeak, workerdRssMiB(rootPid));
  }, 500);

  const rows: Array<Record<string, string | number>> = [];
  let knee = Number(process.env.KNEE ?? 0);
  if (!knee) {
    for (const rate of STEPS) {
      console.error(`[overload] ${rate} req/s for ${STEP_SECONDS} s…`);
      const r = await runStep(target, rate, STEP_SECONDS);
      const limit = await shedLimit(baseUrl, admin.key);
      rows.push(row(`search ${rate}/s`, r, limit));
      console.log(table([row(`search ${rate}/s`, r, limit)]));
      await drain(baseUrl);
      if (!r.withinSlo) break;
      knee = rate;
    }
    if (!knee) knee = STEPS[0] ?? 10;
  }
  for (const factor of [2, 4]) {
    console.error(`[overload] ${factor}× knee: ${knee * factor} req/s for ${OVER_SECONDS} s…`);
    const r = await runStep(target, knee * factor, OVER_SECONDS);
    const limit = await shedLimit(baseUrl, admin.key);
    rows.push(row(`${factor}× knee (${knee * factor}/s)`, r, limit));
    console.log(table([row(`${factor}× knee`, r, limit)]));
    for (const f of r.failures.slice(0, 5)) console.log(`  failure ×${f.count}: ${f.detail}`);
    await drain(baseUrl);
  }
  clearInterval(sampler);
  memPeak = Math.max(memPeak, workerdRssMiB(rootPid));
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const memAfter = workerdRssMiB(rootPid);

  console.log(
    `\nOverload, wrangler dev (simulator off)${DIRECT ? ', direct to workerd' : ', through its proxy'}, LOG_LEVEL ${process.env.LOG_LEVEL ?? 'info'}, on this machine; knee ${knee} req/s; search steps ${STEP_SECONDS} s, past the knee ${OVER_SECONDS} s each; load avg ${(await import('node:os')).loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    'Mix per 15 arrivals: 4 predictions (1d), 1 inline backtest, 10 market-data reads; latency of 2xx answers.\n',
  );
  console.log(table(rows));
  console.log(
    `\nworkerd VmRSS: before ${memBefore.toFixed(0)} MiB, peak ${memPeak.toFixed(0)} MiB, ${IDLE_SECONDS} s after the load ${memAfter.toFixed(0)} MiB (${((memAfter / memBefore - 1) * 100).toFixed(0)} % over before)`,
  );
} finally {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}

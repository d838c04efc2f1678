/**
 * `npm run loadtest:nightly`: the API, WebSocket and chaos scenarios of the Node harness at fixed
 * rates against a fresh seeded `wrangler dev`, compared with load-tests/nightly-baseline.json.
 * Machines are noisy, so latency is compared as a ratio to an in-run baseline (`GET /api/health`
 * at the same rate, measured before and after the scenarios); error rates are compared as they are.
 * Exits 1 on a regression beyond the baseline file's tolerances, 2 if the run itself failed.
 *
 *   npm run loadtest:nightly                       # run and compare (≈ 3 minutes)
 *   npm run loadtest:nightly -- --update-baseline  # run and write the baseline from this run
 *   NIGHTLY_SECONDS=20 (per scenario), NIGHTLY_RESULTS=dir (default load-test-results/)
 *
 * Not part of `npm test`: the scheduled workflow .github/workflows/nightly-load.yml runs it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDashboardIfNeeded } from '../../scripts/lib/dashboard';
import type { RunningPlatform } from '../../scripts/lib/platform';
import { startLocalPlatform } from './local-platform';
import {
  backtests,
  chaos,
  healthBaseline,
  marketData,
  predictions,
  type Row,
  type Target,
  websocket,
} from './scenarios';
import { errorRate } from './stats';

const round = (x: number) => Math.round(x * 1000) / 1000;

import { Baseline, compare, type Measured } from './nightly-compare';
import { table } from './table';

const ROOT = resolve(import.meta.dirname, '../..');
const BASELINE_FILE = join(ROOT, 'load-tests/nightly-baseline.json');
const seconds = Math.min(120, Math.max(5, Number(process.env.NIGHTLY_SECONDS ?? 20)));
const durationMs = seconds * 1000;
/** Warm-up per phase, discarded (see main). */
const WARMUP_MS = 8_000;
/** Fixed arrival rates (req/s) and socket count: the same every night. */
const RATES = {
  baseline: 20,
  marketData: 20,
  predictions: 10,
  backtests: 2,
  sockets: 20,
  chaos: 20,
} as const;

function measured(row: Row, baselineP95: number): Measured {
  const p95 = row.summary.p95;
  return {
    p95Ratio: Number.isFinite(p95) && baselineP95 > 0 ? round(p95 / baselineP95) : null,
    errorRate: round(errorRate(row.summary)),
    count: row.summary.count,
  };
}

async function main(): Promise<number> {
  const started = Date.now();
  const update = process.argv.includes('--update-baseline');
  const persistTo = mkdtempSync(join(tmpdir(), 'skippy-nightly-'));
  let platform: RunningPlatform | null = null;
  const rows: Row[] = [];
  try {
    // wrangler dev serves the dashboard's build as assets and refuses to start without it.
    await buildDashboardIfNeeded((line) => console.log(line));
    const started = await startLocalPlatform(persistTo);
    platform = started.platform;
    const t: Target = started.target;
    console.log(`wrangler dev on ${platform.url}; ${seconds} s per scenario`);
    // Warm-up, discarded: the first seconds after start-up (isolate compile, simulator, first D1
    // reads) are several times slower than the rest and would skew the baseline they precede.
    await healthBaseline(t, RATES.baseline, WARMUP_MS);
    await marketData(t, RATES.marketData, WARMUP_MS);
    rows.push(await healthBaseline(t, RATES.baseline, durationMs));
    rows.push(await marketData(t, RATES.marketData, durationMs));
    rows.push(await predictions(t, RATES.predictions, durationMs));
    rows.push(await backtests(t, RATES.backtests, durationMs));
    rows.push(await websocket(t, RATES.sockets, durationMs));
    rows.push(await chaos(t, RATES.chaos, durationMs));
    const after = await healthBaseline(t, RATES.baseline, durationMs);
    after.scenario = 'baseline GET /api/health (after)';
    rows.push(after);
  } finally {
    await platform?.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }

  // The baseline's p95 is the mean of the two baseline runs: the machine may change mid-run.
  const b0 = rows[0]!.summary.p95;
  const b1 = rows.at(-1)!.summary.p95;
  const baselineP95 = (b0 + b1) / 2;
  const now: Record<string, Measured> = {};
  for (const row of rows.slice(1, -1)) now[row.scenario] = measured(row, baselineP95);
  const durationS = Math.round((Date.now() - started) / 1000);

  console.log(`\n${table(rows)}\n`);
  console.log(
    `in-run baseline p95: ${b0.toFixed(1)} ms before, ${b1.toFixed(1)} ms after; run took ${durationS} s`,
  );

  const resultsDir = resolve(process.env.NIGHTLY_RESULTS ?? join(ROOT, 'load-test-results'));
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultFile = join(resultsDir, `nightly-${stamp}.json`);

  if (update) {
    const next: Baseline = {
      recorded: new Date().toISOString().slice(0, 10),
      command: `npm run loadtest:nightly -- --update-baseline (NIGHTLY_SECONDS=${seconds})`,
      note: 'p95Ratio = scenario p95 / GET /api/health p95 at the same rate in the same run (mean of before and after).',
      tolerance: { p95RatioIncrease: 1, errorRateIncrease: 0.02, minCountShare: 0.5 },
      scenarios: now,
    };
    writeFileSync(BASELINE_FILE, `${JSON.stringify(next, null, 2)}\n`);
    writeFileSync(
      resultFile,
      `${JSON.stringify({ durationS, rates: RATES, seconds, rows, now }, null, 2)}\n`,
    );
    console.log(`wrote ${BASELINE_FILE} and ${resultFile}`);
    return 0;
  }

  const baseline = Baseline.parse(JSON.parse(readFileSync(BASELINE_FILE, 'utf8')));
  const problems = compare(baseline, now);
  console.log(
    '\nscenario                                   p95 ratio (baseline)   errors (baseline)   count (baseline)',
  );
  for (const [name, cur] of Object.entries(now)) {
    const base = baseline.scenarios[name];
    console.log(
      `${name.padEnd(42)} ${String(cur.p95Ratio).padStart(9)} (${String(base?.p95Ratio ?? '—').padStart(6)})   ${String(cur.errorRate).padStart(6)} (${String(base?.errorRate ?? '—').padStart(6)})   ${String(cur.count).padStart(6)} (${String(base?.count ?? '—').padStart(6)})`,
    );
  }
  const verdict = problems.length === 0 ? 'PASS' : 'REGRESSION';
  writeFileSync(
    resultFile,
    `${JSON.stringify({ verdict, problems, durationS, rates: RATES, seconds, baseline, now, rows }, null, 2)}\n`,
  );
  console.log(
    `\n${verdict} against the baseline of ${baseline.recorded} (tolerance: p95 ratio +${baseline.tolerance.p95RatioIncrease * 100} %, errors +${baseline.tolerance.errorRateIncrease}, count ≥ ${baseline.tolerance.minCountShare * 100} %)`,
  );
  for (const p of problems) console.log(`  - ${p}`);
  console.log(`results: ${resultFile}`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);

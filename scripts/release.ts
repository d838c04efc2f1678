/**
 * `npm run release -- upload|canary|promote|rollback|status|switch [--env production] [--version <id>]`
 *
 * Gradual deployments with Worker versions (docs/releases.md): `upload` runs `wrangler versions
 * upload`; `canary` deploys the uploaded version at 5 % beside the live one and then, step by step
 * (5 → 25 → 50 → 100 %), waits one observation window, scrapes `/metrics` twice and lets the gate
 * (scripts/lib/release-gate.ts) promote, hold or roll back on its own; `promote` takes one gated
 * step by hand; `rollback` returns to the old version at once; `switch` is blue-green: a smoke run
 * against the not-yet-live version through the version-override header, then 0 % ↔ 100 %.
 *
 * Environment: WRANGLER_BIN (default node_modules/.bin/wrangler), METRICS_URL + METRICS_TOKEN (the
 * gate's scrape), SMOKE_URL + SMOKE_KEY (blue-green smoke run), RELEASE_WINDOW_SECONDS (default
 * 300), RELEASE_MAX_HOLDS (default 3), RELEASE_STATE (default .wrangler/release-state.json).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_GATE, decide } from './lib/release-gate';
import {
  canaryOf,
  type Deployment,
  deployArgs,
  nextStep,
  rollback,
  type Step,
  startCanary,
  switchTo,
} from './lib/release-plan';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKER_NAMES: Record<string, string> = {
  '': 'skippy',
  staging: 'skippy-staging',
  production: 'skippy-production',
};

interface State {
  /** The last uploaded version (the candidate of the next canary or switch). */
  uploaded?: string;
  /** The version live before the last switch or promotion (the target of a rollback). */
  previous?: string;
}

const args = process.argv.slice(2);
const command = args[0] ?? 'status';
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const env = opt('env') ?? 'production';
const wranglerBin = process.env.WRANGLER_BIN ?? join(ROOT, 'node_modules/.bin/wrangler');
const statePath = resolve(process.env.RELEASE_STATE ?? join(ROOT, '.wrangler/release-state.json'));
const windowSeconds = Number(process.env.RELEASE_WINDOW_SECONDS ?? 300);
const maxHolds = Number(process.env.RELEASE_MAX_HOLDS ?? 3);

const log = (s: string) => process.stdout.write(`${s}\n`);
function fail(message: string): never {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

function readState(): State {
  return existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as State) : {};
}
function writeState(s: State): void {
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(statePath, JSON.stringify(s, null, 2));
}

function wrangler(...a: string[]): string {
  const r = spawnSync(wranglerBin, a, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (r.status !== 0) fail(`wrangler ${a.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function deployment(): Deployment {
  const raw = JSON.parse(wrangler('deployments', 'status', '--env', env, '--json')) as {
    versions: Array<{ version_id: string; percentage: number }>;
  };
  return { versions: raw.versions.map((v) => ({ versionId: v.version_id, percentage: v.percentage })) };
}

function apply(step: Step, message: string): void {
  if (!step.ok) fail(step.refused);
  wrangler(...deployArgs(step.split, env, message));
  log(step.message);
}

async function scrape(): Promise<string> {
  const url = process.env.METRICS_URL;
  if (!url) fail('METRICS_URL is required for the gate (the deployment’s /metrics).');
  const token = process.env.METRICS_TOKEN;
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (!res.ok) fail(`scraping ${url} answered ${res.status}`);
  return res.text();
}

/** One observation window on the running canary: the gate's decision and its reasons. */
async function gate(d: Deployment) {
  const c = canaryOf(d);
  if (!c) fail('No canary is running.');
  const start = await scrape();
  await new Promise((r) => setTimeout(r, windowSeconds * 1000));
  const end = await scrape();
  const g = decide(
    start,
    end,
    { candidate: c.candidate.versionId, baseline: c.baseline.versionId },
    DEFAULT_GATE,
  );
  for (const r of g.results) log(`  ${r.status.padEnd(7)} ${r.message}`);
  return g;
}

/** Gated steps until 100 % or a rollback; `once` stops after one step (`promote`). */
async function runGated(once: boolean): Promise<void> {
  let holds = 0;
  for (;;) {
    const d = deployment();
    if (!canaryOf(d)) return;
    const g = await gate(d);
    if (g.decision === 'rollback' || (g.decision === 'hold' && ++holds > maxHolds)) {
      const why = g.decision === 'rollback' ? g.summary : `no data after ${maxHolds} windows: ${g.summary}`;
      apply(rollback(d, null), `gate: ${why}`);
      fail(`rolled back: ${why}`);
    }
    if (g.decision === 'hold') {
      log(g.summary);
      continue;
    }
    holds = 0;
    const step = nextStep(d);
    apply(step, `gate passed: ${g.summary}`.slice(0, 100));
    if (step.ok && step.split.length === 1)
      writeState({ ...readState(), previous: canaryOf(d)?.baseline.versionId });
    if (once) return;
  }
}

async function smoke(candidate: string): Promise<void> {
  const base = process.env.SMOKE_URL;
  if (!base) fail('SMOKE_URL is required for a switch (the deployment’s base URL).');
  // Cloudflare routes a request carrying this header to the named version, live or not.
  const headers: Record<string, string> = {
    'Cloudflare-Workers-Version-Overrides': `${WORKER_NAMES[env] ?? 'skippy'}="${candidate}"`,
  };
  if (process.env.SMOKE_KEY) headers.authorization = `Bearer ${process.env.SMOKE_KEY}`;
  for (const path of ['/api/health', '/api/health/detailed']) {
    const res = await fetch(new URL(path, base), { headers });
    if (!res.ok) fail(`smoke run against ${candidate}: ${path} answered ${res.status}; nothing deployed.`);
    if (path.endsWith('detailed')) {
      const body = (await res.json()) as { workerVersion?: { id?: string } };
      if (body.workerVersion?.id !== candidate)
        fail(
          `smoke run reached version ${body.workerVersion?.id ?? 'unknown'}, not ${candidate}; nothing deployed.`,
        );
    }
    log(`smoke ${path}: ${res.status} from ${candidate}`);
  }
}

function candidateVersion(): string {
  const v = opt('version') ?? readState().uploaded;
  if (!v) fail('No candidate version: run `npm run release -- upload` first or pass --version <id>.');
  return v;
}

switch (command) {
  case 'upload': {
    const out = wrangler(
      'versions',
      'upload',
      '--env',
      env,
      ...(opt('tag') ? ['--tag', opt('tag') as string] : []),
    );
    const id = /Worker Version ID:\s*([0-9a-f-]{36})/.exec(out)?.[1];
    if (!id) fail(`could not read the version id from wrangler's output:\n${out}`);
    writeState({ ...readState(), uploaded: id });
    log(`Uploaded version ${id}`);
    break;
  }
  case 'canary': {
    const candidate = candidateVersion();
    apply(startCanary(deployment(), candidate), `canary ${candidate}`);
    if (!args.includes('--no-gate')) await runGated(false);
    break;
  }
  case 'promote':
    {
      const step = nextStep(deployment());
      if (!step.ok) fail(step.refused);
    }
    await runGated(true);
    break;
  case 'rollback': {
    const d = deployment();
    const step = rollback(d, readState().previous ?? null);
    apply(step, 'manual rollback');
    break;
  }
  case 'switch': {
    const candidate = candidateVersion();
    const d = deployment();
    const step = switchTo(d, candidate);
    if (!step.ok) fail(step.refused);
    await smoke(candidate);
    apply(step, `blue-green switch to ${candidate}`);
    writeState({ ...readState(), previous: d.versions.find((v) => v.percentage === 100)?.versionId });
    break;
  }
  case 'status': {
    const d = deployment();
    for (const v of d.versions) log(`${v.versionId} ${v.percentage} %`);
    log(canaryOf(d) ? 'A canary is running.' : 'One version serves all traffic.');
    break;
  }
  default:
    fail(`unknown command ${command}: use upload | canary | promote | rollback | switch | status`);
}

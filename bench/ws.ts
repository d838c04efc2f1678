/**
 * `npm run bench:ws`: fan-out latency of the market-data stream (see ../shared BENCHMARKS.md).
 * For each N it starts its own `wrangler dev` (simulator off, fresh seeded state), forks a
 * subscriber process with N sockets on one symbol, publishes 20 ticks/s through the ingest API
 * (each tick's `ts` is its send time) and measures receive − send. The baseline, in the same run,
 * is a minimal Node `ws` broadcast server (bench/ws-baseline-server.ts) fed by a WebSocket publisher.
 *
 *   npm run bench:ws -- --sizes=100,1000 --runs=3 --seconds=10 [--direct]
 *
 * Defaults: sizes 100,1000, 3 runs (medians and spread reported), 10 s measured per case after a
 * 1 s warm-up. `--direct` adds a case whose subscribers bypass wrangler's proxy. Results are also
 * written to bench-results/ws-<time>.json. Figures and their reading: docs/streaming.md.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort, preparePlatform, ROOT, wranglerEnv } from '../scripts/lib/platform';
import { median, table } from './lib/stats';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const SIZES = arg('sizes', '100,1000').split(',').map(Number);
const RUNS = Number(arg('runs', '3'));
const SECONDS = Number(arg('seconds', '10'));
const DIRECT = process.argv.includes('--direct');
/** Subscriber processes per case (default: 2 from 1,000 sockets, else 1). */
const PROCS = process.argv.some((a) => a.startsWith('--procs=')) ? Number(arg('procs', '1')) : undefined;
const RATE = 20;
const SYMBOL = 'AAPL';
const CLK_TCK = 100;

interface CaseResult {
  p50: number;
  p99: number;
  max: number;
  fanoutP50: number;
  fanoutP99: number;
  deliveredPct: number;
  msgsPerSec: number;
  serverCpuPct: number;
  clientCpuPct: number;
}

interface SubscriberReport {
  latencies: number[];
  fanout: number[];
  delivered: number;
  cpuMs: number;
}

let ingestFailed = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function processTable(): Map<number, { ppid: number; ticks: number }> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const raw = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(d), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return stats;
}

function descendants(root: number, stats = processTable()): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, s] of stats) if (s.ppid === out[i]) out.push(p);
  return out;
}

/** CPU seconds (user + system) of a process and all its descendants, from /proc. */
function treeCpuSeconds(root: number): number {
  const stats = processTable();
  let total = 0;
  for (const pid of descendants(root, stats)) total += stats.get(pid)?.ticks ?? 0;
  return total / CLK_TCK;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function request<T>(child: ChildProcess, msg: unknown, key: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`subscriber process: no ${key} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMsg = (m: Record<string, unknown>) => {
      if ('error' in m) {
        clearTimeout(timer);
        child.off('message', onMsg);
        reject(new Error(String(m.error)));
      } else if (key in m) {
        clearTimeout(timer);
        child.off('message', onMsg);
        resolve(m as T);
      }
    };
    child.on('message', onMsg);
    child.send(msg as object);
  });
}

/** Publishes RATE ticks/s for `seconds`, scheduled on absolute times so that slow sends do not slow the rate. */
async function paced(seconds: number, send: (i: number) => Promise<unknown> | undefined): Promise<number> {
  const start = performance.now();
  const total = Math.round(seconds * RATE);
  const pending: Array<Promise<unknown> | undefined> = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(send(i));
  }
  await Promise.all(pending);
  return total;
}

async function measure(opts: {
  n: number;
  serverPid: number;
  connect: Record<string, unknown>;
  publish: (i: number) => Promise<unknown> | undefined;
}): Promise<CaseResult> {
  // BENCHMARKS.md allows one or two subscriber processes; two keep one client process from being
  // the bottleneck at 1,000 sockets.
  const procs = PROCS ?? (opts.n >= 1000 ? 2 : 1);
  const children = Array.from({ length: procs }, () =>
    fork(join(ROOT, 'bench/ws-subscribers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
  );
  try {
    await Promise.all(
      children.map((child, k) =>
        request(
          child,
          { ...opts.connect, n: Math.floor(opts.n / procs) + (k < opts.n % procs ? 1 : 0) },
          'ready',
          300_000,
        ),
      ),
    );
    await paced(1, opts.publish); // warm-up, not recorded
    await sleep(500);
    await Promise.all(children.map((child) => request(child, { cmd: 'start' }, 'started', 10_000)));
    const cpu0 = treeCpuSeconds(opts.serverPid);
    const t0 = performance.now();
    const sent = await paced(SECONDS, opts.publish);
    await sleep(1_000);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = treeCpuSeconds(opts.serverPid);
    const reports = await Promise.all(
      children.map((child) => request<SubscriberReport>(child, { cmd: 'stop' }, 'latencies', 60_000)),
    );
    const report: SubscriberReport = {
      latencies: reports.flatMap((r) => r.latencies),
      fanout: reports.flatMap((r) => r.fanout),
      delivered: reports.reduce((a, r) => a + r.delivered, 0),
      cpuMs: reports.reduce((a, r) => a + r.cpuMs, 0),
    };
    const sorted = Float64Array.from(report.latencies).sort();
    const list = Array.from(sorted);
    const fan = Array.from(Float64Array.from(report.fanout).sort());
    return {
      p50: percentile(list, 50),
      p99: percentile(list, 99),
      max: list.at(-1) ?? Number.NaN,
      fanoutP50: percentile(fan, 50),
      fanoutP99: percentile(fan, 99),
      deliveredPct: (100 * report.delivered) / (sent * opts.n),
      msgsPerSec: report.delivered / elapsed,
      serverCpuPct: (100 * (cpu1 - cpu0)) / elapsed,
      clientCpuPct: report.cpuMs / 10 / elapsed,
    };
  } finally {
    await Promise.all(
      children.map((child) => {
        child.send({ cmd: 'close' });
        return new Promise((r) => child.once('exit', r));
      }),
    );
  }
}

/**
 * A frozen copy of the Worker's sources. The repository is a shared working tree: `wrangler dev`
 * rebuilds and restarts (dropping every socket) whenever any file under it changes, which would
 * wreck a measurement. Started from the copy, the server only sees the code as it was at start.
 */
function frozenSources(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-src-'));
  for (const p of [
    'workers',
    'durable-objects',
    'schema',
    'engine',
    'wrangler.toml',
    'package.json',
    'tsconfig.json',
    'tsconfig.base.json',
    'worker-configuration.d.ts',
    'dashboard/dist',
  ]) {
    if (existsSync(join(ROOT, p)))
      cpSync(join(ROOT, p), join(dir, p), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** `wrangler dev` (as scripts/lib/platform.ts starts it) from `cwd`; resolves when healthy. */
async function startServer(
  cwd: string,
  persistTo: string,
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const args = [
    join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    persistTo,
  ];
  args.push(
    '--show-interactive-dev-session=false',
    '--inspector-port',
    '0',
    '--var',
    'SIMULATOR_ENABLED:false',
  );
  const child = spawn(process.execPath, args, {
    cwd,
    env: wranglerEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    try {
      process.kill(-(child.pid ?? 0), 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5_000)]);
  };
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { url, pid: child.pid ?? 0, stop };
  }
  await stop();
  throw new Error('wrangler dev did not become healthy');
}

/**
 * `--direct`: the user Worker's own workerd socket, skipping wrangler dev's proxy (which relays
 * every frame). Found by asking each port the server's workerd processes listen on for /api/health,
 * except the public one's process.
 */
async function directUrl(serverPid: number, publicUrl: string): Promise<string> {
  const pids = new Set(descendants(serverPid));
  const listening = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    .split('\n')
    .flatMap((line) => {
      const m = /127\.0\.0\.1:(\d+).*"workerd",pid=(\d+)/.exec(line);
      return m && pids.has(Number(m[2])) ? [{ port: Number(m[1]), pid: Number(m[2]) }] : [];
    });
  const publicPort = Number(new URL(publicUrl).port);
  const proxyPid = listening.find((l) => l.port === publicPort)?.pid;
  for (const l of listening) {
    if (l.pid === proxyPid) continue;
    const ok = await fetch(`http://127.0.0.1:${l.port}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return `http://127.0.0.1:${l.port}`;
  }
  throw new Error("could not find the Worker's direct workerd port");
}

async function runOurs(
  template: string,
  adminKey: string,
  n: number,
  run: number,
  direct = false,
): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-'));
  cpSync(template, dir, { recursive: true });
  const platform = await startServer(sources, dir);
  try {
    const base = direct ? await directUrl(platform.pid, platform.url) : platform.url;
    // Ticks always go through the public port; only the subscribers' sockets skip the proxy.
    const url = `${platform.url}/api/v1/ingest/ticks`;
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    return await measure({
      n,
      serverPid: platform.pid,
      connect: {
        cmd: 'connect',
        mode: 'ours',
        url: `${base.replace('http', 'ws')}/api/v1/stream`,
        key: adminKey,
        symbols: [SYMBOL],
        n,
      },
      publish: (i) =>
        fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            ticks: [
              {
                type: 'trade',
                symbol: SYMBOL,
                sourceId: `b${run}-${n}-${i}-${Math.random()}`,
                ts: Date.now(),
                price: 100 + (i % 50) / 100,
                size: 1,
              },
            ],
          }),
        }).then(
          async (r) => {
            if (r.status !== 200 && !ingestFailed) {
              ingestFailed = true;
              console.error(`ingest answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
            } else await r.arrayBuffer();
          },
          (err: unknown) => {
            if (!ingestFailed) console.error(`ingest failed: ${String(err)}`);
            ingestFailed = true;
          },
        ),
    });
  } finally {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBaseline(n: number): Promise<CaseResult> {
  const server = fork(join(ROOT, 'bench/ws-baseline-server.ts'), ['0'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('baseline server did not start')), 30_000);
      server.stdout?.on('data', (d: Buffer) => {
        const m = /listening (\d+)/.exec(d.toString());
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const pub = new WebSocket(`ws://127.0.0.1:${port}/pub`);
    await new Promise((r, j) => {
      pub.once('open', r);
      pub.once('error', j);
    });
    try {
      return await measure({
        n,
        serverPid: server.pid ?? 0,
        connect: { cmd: 'connect', mode: 'base', url: `ws://127.0.0.1:${port}/sub`, symbols: [SYMBOL], n },
        publish: (i) => {
          pub.send(
            JSON.stringify({
              type: 'data',
              messages: [
                {
                  symbol: SYMBOL,
                  seq: i + 1,
                  ts: Date.now(),
                  st: Date.now(),
                  type: 'trade',
                  price: 100 + (i % 50) / 100,
                  size: 1,
                },
              ],
            }),
          );
          return undefined;
        },
      });
    } finally {
      pub.close();
    }
  } finally {
    server.kill('SIGTERM');
  }
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

const templateDir = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-template-'));
const sources = frozenSources();
try {
  const seed = await preparePlatform(templateDir);
  const admin = seed.keys.find((k) => k.scopes.includes('admin'));
  if (!admin) throw new Error('no admin demo key');
  const results: Array<{ n: number; ours: CaseResult[]; direct: CaseResult[]; base: CaseResult[] }> =
    SIZES.map((n) => ({
      n,
      ours: [],
      direct: [],
      base: [],
    }));
  for (let run = 0; run < RUNS; run++) {
    for (const r of results) {
      console.error(`run ${run + 1}/${RUNS}, N=${r.n}: ours…`);
      r.ours.push(await runOurs(templateDir, admin.key, r.n, run));
      if (DIRECT) {
        console.error(`run ${run + 1}/${RUNS}, N=${r.n}: ours, direct to workerd…`);
        r.direct.push(await runOurs(templateDir, admin.key, r.n, run, true));
      }
      console.error(`run ${run + 1}/${RUNS}, N=${r.n}: baseline…`);
      r.base.push(await runBaseline(r.n));
    }
  }
  const med = (xs: CaseResult[], k: keyof CaseResult) => median(xs.map((x) => x[k]));
  const rng = (xs: CaseResult[], k: keyof CaseResult) =>
    `${fmt(Math.min(...xs.map((x) => x[k])))}–${fmt(Math.max(...xs.map((x) => x[k])))}`;
  const rows: Array<Record<string, string | number>> = [];
  for (const r of results) {
    for (const [impl, xs] of [
      ['skippy (wrangler dev)', r.ours],
      ['skippy (direct workerd)', r.direct],
      ['baseline (node ws)', r.base],
    ] as const) {
      if (xs.length === 0) continue;
      rows.push({
        N: r.n,
        impl,
        p50_ms: fmt(med(xs, 'p50')),
        p99_ms: fmt(med(xs, 'p99')),
        p99_spread: rng(xs, 'p99'),
        max_ms: fmt(med(xs, 'max')),
        fanout_p50_p99: impl.startsWith('skippy')
          ? `${fmt(med(xs, 'fanoutP50'))}/${fmt(med(xs, 'fanoutP99'))}`
          : '',
        delivered_pct: fmt(med(xs, 'deliveredPct'), 2),
        msgs_per_s: fmt(med(xs, 'msgsPerSec'), 0),
        server_cpu_pct: fmt(med(xs, 'serverCpuPct')),
        client_cpu_pct: fmt(med(xs, 'clientCpuPct')),
      });
    }
    rows.push({
      N: r.n,
      impl: 'ratio ours/baseline',
      p50_ms: fmt(med(r.ours, 'p50') / med(r.base, 'p50'), 2),
      p99_ms: fmt(med(r.ours, 'p99') / med(r.base, 'p99'), 2),
      p99_spread: '',
      max_ms: '',
      fanout_p50_p99: '',
      delivered_pct: '',
      msgs_per_s: fmt(med(r.ours, 'msgsPerSec') / med(r.base, 'msgsPerSec'), 2),
      server_cpu_pct: '',
      client_cpu_pct: '',
    });
  }
  console.log(
    `\nbench:ws — 1 symbol, ${RATE} ticks/s, ${SECONDS} s measured per case, median of ${RUNS} run(s); latency = receive − send (ms resolution); fanout = receive − room sequencing time (st)\n`,
  );
  console.log(table(rows));
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(
    ROOT,
    'bench-results',
    `ws-${new Date().toISOString().replaceAll(':', '-').replaceAll('.', '-')}.json`,
  );
  writeFileSync(file, JSON.stringify({ rate: RATE, seconds: SECONDS, runs: RUNS, results }, null, 2));
  console.log(`\nraw results: ${file}`);
} finally {
  rmSync(templateDir, { recursive: true, force: true });
  rmSync(sources, { recursive: true, force: true });
}

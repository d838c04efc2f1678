/**
 * `npm run bench:ws`: fan-out latency of the market-data stream (see ../shared BENCHMARKS.md).
 * For each case it starts its own `wrangler dev` (simulator off, fresh seeded state), forks
 * subscriber processes holding the case's sockets, publishes 20 ticks/s per symbol over the
 * publisher WebSocket (`--publisher=http`: one ingest request per tick; each tick's `ts` is its
 * send time) and measures receive − send. In the same run, two references with the same clients:
 * the baseline, a minimal Node `ws` server (bench/ws-baseline-server.ts) that broadcasts each tick
 * to every socket of its symbol, fed by a WebSocket publisher; and the workerd floor
 * (bench/ws-floor), the same broadcast as a bare Durable Object under `wrangler dev`.
 *
 *   npm run bench:ws -- --cases=100,1000,5000,10000x100 --runs=3 --seconds=10 [--direct] [--profile] [--deflate]
 *     [--publisher=socket|http] [--per-gateway=N] [--shards=N] [--no-floor] [--log-level=warn]
 *   npm run bench:ws -- --cases=storm --runs=3 [--log-level=warn] [--direct] [--profile]
 *
 * A case `N` is N subscribers of one symbol; `NxS` is N sockets over S symbols (socket i on symbol
 * i mod S; the bench adds the symbols to its database). `storm` (or `stormN`, default 1,000) is a
 * connection storm: N sockets opened at once against a freshly started server, each authenticated
 * and subscribed (ours: until its snapshot arrives), next to the workerd floor accepting the same
 * storm (a bare Durable Object: until open); it reports the time until the last socket is ready,
 * p50/p95 per socket, refusals, and ours/floor. Defaults: cases 100,1000 (`--sizes` is an
 * alias), 3 runs (medians and spread), 10 s measured per case after a 1 s warm-up. `--direct` adds
 * a run whose subscribers bypass wrangler's proxy; `--profile` writes a CPU profile of the Worker's
 * isolate per case and prints its top functions; `--deflate` makes subscribers offer
 * permessage-deflate (browsers do; the baseline server declines it, wrangler dev accepts it).
 * The open-file limit is raised for large cases. Results also go to bench-results/ws-<time>.json.
 * Figures and their reading: docs/streaming.md.
 */
import { type ChildProcess, execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { instrument } from '../engine/market/catalog';
import { buildDashboardIfNeeded } from '../scripts/lib/dashboard';
import { d1Execute, freePort, preparePlatform, ROOT, wranglerEnv } from '../scripts/lib/platform';
import { captureProfile, summarise } from './lib/inspector';
import { directUrl, treeCpuSeconds } from './lib/processes';
import { median, table } from './lib/stats';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
/** A case: `N` subscribers of one symbol, or `NxS`: N sockets spread over S symbols (socket i on symbol i mod S). */
interface Case {
  n: number;
  symbols: string[];
  /** A connection storm instead of a fan-out measurement. */
  storm?: boolean;
}
const CASES: Case[] = arg('cases', arg('sizes', '100,1000'))
  .split(',')
  .map((c) => {
    if (c.startsWith('storm')) return { n: Number(c.slice(5) || 1000), symbols: ['AAPL'], storm: true };
    const [n, s] = c.split('x').map(Number);
    const count = s ?? 1;
    return {
      n: n ?? 0,
      symbols: count === 1 ? ['AAPL'] : Array.from({ length: count }, (_, i) => benchSymbol(i)),
    };
  });
/** `--deflate`: subscribers offer permessage-deflate (see docs/streaming.md, "Compression"). */
const DEFLATE = process.argv.includes('--deflate');
const RUNS = Number(arg('runs', '3'));
/** `--per-gateway=N`: sockets per gateway object (STREAM_SOCKETS_PER_GATEWAY) for this run. */
const PER_GATEWAY = arg('per-gateway', '');
/** `--shards=N`: gateways new sockets start on (STREAM_GATEWAY_SHARDS) for this run. */
const SHARDS = arg('shards', '');
const SECONDS = Number(arg('seconds', '10'));
const DIRECT = process.argv.includes('--direct');
/** `--no-floor`: skip the bare-Durable-Object row (bench/ws-floor), which adds a server per case. */
const FLOOR = !process.argv.includes('--no-floor');
/** `--profile`: a CPU profile of the Worker's isolate during each measured case of ours (bench/lib/inspector.ts). */
const PROFILE = process.argv.includes('--profile');
/** Subscriber processes per case (default: 2 from 1,000 sockets, else 1). */
const PROCS = process.argv.some((a) => a.startsWith('--procs=')) ? Number(arg('procs', '1')) : undefined;
/**
 * `--publisher=socket` (default): ticks go over the publisher WebSocket (`GET /api/v1/ingest/stream`),
 * one frame per tick time, as a feed relay would; `--publisher=http`: one `POST /api/v1/ingest/ticks` each.
 */
const PUBLISHER = arg('publisher', 'socket');
/**
 * `--log-level=warn`: the servers' LOG_LEVEL (default: wrangler.toml's local `info`, one JSON
 * line per request; production's default is `warn`).
 */
const LOG_LEVEL = arg('log-level', '');
if (PUBLISHER !== 'socket' && PUBLISHER !== 'http') throw new Error('--publisher must be socket or http');
const RATE = 20;
/** Symbols the multi-symbol cases add to the template database (the catalogue has 11). */
function benchSymbol(i: number): string {
  return `BENCH${String(i).padStart(3, '0')}`;
}
const caseName = (c: Case) =>
  c.storm ? `storm${c.n}` : c.symbols.length === 1 ? String(c.n) : `${c.n}x${c.symbols.length}`;

interface CaseResult {
  p50: number;
  p95: number;
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
  /** Runs alongside the measured ticks (the profiler). */
  during?: (seconds: number) => Promise<void>;
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
    const [sent] = await Promise.all([paced(SECONDS, opts.publish), opts.during?.(SECONDS)]);
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
      p95: percentile(list, 95),
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
    'platform',
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
  vars: Record<string, string> = {},
): Promise<{ url: string; pid: number; inspectorPort: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const inspectorPort = PROFILE ? await freePort() : 0;
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
    String(inspectorPort),
    '--var',
    'SIMULATOR_ENABLED:false',
    ...(PER_GATEWAY ? ['--var', `STREAM_SOCKETS_PER_GATEWAY:${PER_GATEWAY}`] : []),
    ...(SHARDS ? ['--var', `STREAM_GATEWAY_SHARDS:${SHARDS}`] : []),
    ...(LOG_LEVEL ? ['--var', `LOG_LEVEL:${LOG_LEVEL}`] : []),
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
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
    if (ok) return { url, pid: child.pid ?? 0, inspectorPort, stop };
  }
  await stop();
  throw new Error('wrangler dev did not become healthy');
}

async function runOurs(
  template: string,
  adminKey: string,
  c: Case,
  run: number,
  direct = false,
): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-'));
  cpSync(template, dir, { recursive: true });
  // One key holds every subscriber: the fan-out cases measure fan-out, not the per-key limit.
  const platform = await startServer(sources, dir, {
    STREAM_KEY_SOCKETS_HIGH: String(Math.max(2_000, c.n + 100)),
  });
  try {
    const base = direct ? await directUrl(platform.pid, platform.url) : platform.url;
    // Ticks always go through the public port; only the subscribers' sockets skip the proxy.
    const publisher = PUBLISHER === 'socket' ? await openPublisher(platform.url, adminKey) : null;
    const n = c.n;
    return await measure({
      n,
      serverPid: platform.pid,
      during: PROFILE
        ? async (seconds) => {
            // Skip the first seconds (connection churn), profile the steady state.
            await sleep(1_000);
            mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
            const file = join(
              ROOT,
              'bench-results',
              `ws-profile-${caseName(c)}-${direct ? 'direct' : 'proxy'}-${run}.cpuprofile`,
            );
            const profile = await captureProfile(platform.inspectorPort, Math.max(1, seconds - 2), file);
            console.error(`CPU profile, N=${caseName(c)} (${file}):\n${summarise(profile)}`);
          }
        : undefined,
      connect: {
        cmd: 'connect',
        mode: 'ours',
        url: `${base.replace('http', 'ws')}/api/v1/stream`,
        key: adminKey,
        symbols: c.symbols,
        deflate: DEFLATE,
        n,
      },
      publish: (i) => {
        // One batch per tick time, one trade per symbol (a feed relay batches the same way).
        const ticks = c.symbols.map((symbol) => ({
          type: 'trade',
          symbol,
          sourceId: `b${run}-${n}-${i}-${symbol}-${Math.random()}`,
          ts: Date.now(),
          // Near the seeded price (100 for bench symbols without history): inside the ingest price band.
          price: (instrument(symbol)?.price ?? 100) + (i % 50) / 100,
          size: 1,
        }));
        return publisher ? publisher.send(ticks) : publishHttp(platform.url, adminKey, ticks);
      },
    }).finally(() => publisher?.close());
  } finally {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function reportIngestFailure(what: string): void {
  if (!ingestFailed) console.error(what);
  ingestFailed = true;
}

function publishHttp(base: string, key: string, ticks: unknown[]): Promise<void> {
  return fetch(`${base}/api/v1/ingest/ticks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ticks }),
  }).then(
    async (r) => {
      if (r.status !== 200)
        reportIngestFailure(`ingest answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
      else await r.arrayBuffer();
    },
    (err: unknown) => reportIngestFailure(`ingest failed: ${String(err)}`),
  );
}

/** A publisher socket whose `send` resolves when the frame is answered (a refusal is reported). */
async function openPublisher(
  base: string,
  key: string,
): Promise<{ send: (ticks: unknown[]) => Promise<void>; close: () => void }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ingest/stream`, {
    headers: { authorization: `Bearer ${key}` },
    perMessageDeflate: false,
  });
  const waiting = new Map<string, () => void>();
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as { type: string; id?: string; error?: unknown };
    if (f.type === 'error')
      reportIngestFailure(`publisher frame refused: ${JSON.stringify(f).slice(0, 300)}`);
    if (f.id !== undefined) {
      waiting.get(f.id)?.();
      waiting.delete(f.id);
    }
  });
  ws.on('close', (code) => {
    if (waiting.size > 0) reportIngestFailure(`publisher socket closed (${code}) with frames unanswered`);
    for (const done of waiting.values()) done();
    waiting.clear();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) =>
      reject(new Error(`publisher socket refused: HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
  let next = 0;
  return {
    send: (ticks) =>
      new Promise<void>((resolve) => {
        const id = String(next++);
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ type: 'ticks', id, ticks }));
      }),
    close: () => ws.close(),
  };
}

/** One tick per symbol as a ready-made data frame, for servers that broadcast frames as they are. */
function broadcastTick(pub: WebSocket, c: Case, i: number): undefined {
  for (const symbol of c.symbols) {
    const now = Date.now();
    const m = { symbol, seq: i + 1, ts: now, st: now, type: 'trade', price: 100 + (i % 50) / 100, size: 1 };
    pub.send(JSON.stringify({ type: 'data', messages: [m] }));
  }
  return undefined;
}

async function openBroadcastPublisher(url: string): Promise<WebSocket> {
  const pub = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    pub.once('open', resolve);
    pub.once('error', reject);
  });
  return pub;
}

/**
 * The runtime floor: bench/ws-floor, a Durable Object that only loops `send` over its
 * hibernatable sockets, under the same `wrangler dev` and on the same path (proxy or direct) as
 * the Skippy row. What separates Skippy from it is ours; what separates it from Node is workerd's.
 */
async function runFloor(c: Case, direct: boolean): Promise<CaseResult> {
  const src = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-floor-'));
  cpSync(join(ROOT, 'bench/ws-floor'), src, { recursive: true });
  const platform = await startServer(src, join(src, '.state'));
  try {
    const base = direct ? await directUrl(platform.pid, platform.url) : platform.url;
    const pub = await openBroadcastPublisher(`${platform.url.replace('http', 'ws')}/pub`);
    try {
      return await measure({
        n: c.n,
        serverPid: platform.pid,
        connect: {
          cmd: 'connect',
          mode: 'base',
          url: `${base.replace('http', 'ws')}/sub`,
          symbols: c.symbols,
          deflate: DEFLATE,
          n: c.n,
        },
        publish: (i) => broadcastTick(pub, c, i),
      });
    } finally {
      pub.close();
    }
  } finally {
    await platform.stop();
    rmSync(src, { recursive: true, force: true });
  }
}

async function runBaseline(c: Case): Promise<CaseResult> {
  const n = c.n;
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
    const pub = await openBroadcastPublisher(`ws://127.0.0.1:${port}/pub`);
    try {
      return await measure({
        n,
        serverPid: server.pid ?? 0,
        connect: {
          cmd: 'connect',
          mode: 'base',
          url: `ws://127.0.0.1:${port}/sub`,
          symbols: c.symbols,
          deflate: DEFLATE,
          n,
        },
        publish: (i) => broadcastTick(pub, c, i),
      });
    } finally {
      pub.close();
    }
  } finally {
    server.kill('SIGTERM');
  }
}

interface StormResult {
  /** ms from the storm's start until the last socket was ready (subscribed; the floor: open). */
  lastReady: number;
  readyP50: number;
  readyP95: number;
  openP50: number;
  openP95: number;
  failed: number;
  /** The first few distinct failure reasons. */
  reasons: string[];
}
type StormOutcome = { open: number; ready: number } | { failed: string };

/**
 * One connection storm: `n` sockets opened at once by the subscriber processes (each first
 * answers a ping, so all start together), every socket's open and ready time from the storm's
 * start. Failures (429, 503, timeouts) are counted, not thrown.
 */
async function stormOnce(n: number, connect: Record<string, unknown>): Promise<StormResult> {
  const procs = PROCS ?? (n >= 1000 ? 2 : 1);
  const children = Array.from({ length: procs }, () =>
    fork(join(ROOT, 'bench/ws-subscribers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
  );
  try {
    await Promise.all(children.map((child) => request(child, { cmd: 'ping' }, 'pong', 60_000)));
    const replies = await Promise.all(
      children.map((child, k) =>
        request<{ storm: StormOutcome[] }>(
          child,
          { ...connect, cmd: 'storm', n: Math.floor(n / procs) + (k < n % procs ? 1 : 0) },
          'storm',
          180_000,
        ),
      ),
    );
    const outcomes = replies.flatMap((r) => r.storm);
    const ok = outcomes.flatMap((o) => ('failed' in o ? [] : [o]));
    const ready = ok.map((o) => o.ready).sort((a, b) => a - b);
    const open = ok.map((o) => o.open).sort((a, b) => a - b);
    const reasons = [...new Set(outcomes.flatMap((o) => ('failed' in o ? [o.failed] : [])))].slice(0, 5);
    return {
      lastReady: ok.length === outcomes.length ? (ready.at(-1) ?? Number.NaN) : Number.NaN,
      readyP50: percentile(ready, 50),
      readyP95: percentile(ready, 95),
      openP50: percentile(open, 50),
      openP95: percentile(open, 95),
      failed: outcomes.length - ok.length,
      reasons,
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

/** Ours: a fresh server, then the storm of authenticated upgrades, each subscribing (bars: 0). */
async function stormOurs(template: string, key: string, c: Case): Promise<StormResult> {
  const dir = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-'));
  cpSync(template, dir, { recursive: true });
  const platform = await startServer(sources, dir);
  try {
    const base = DIRECT ? await directUrl(platform.pid, platform.url) : platform.url;
    const profiled = PROFILE
      ? (async () => {
          mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
          const file = join(ROOT, 'bench-results', `ws-profile-${caseName(c)}-${Date.now()}.cpuprofile`);
          const profile = await captureProfile(platform.inspectorPort, 10, file);
          console.error(`CPU profile, ${caseName(c)} (${file}):\n${summarise(profile)}`);
        })()
      : Promise.resolve();
    await sleep(PROFILE ? 500 : 0);
    const [result] = await Promise.all([
      stormOnce(c.n, {
        mode: 'ours',
        url: `${base.replace('http', 'ws')}/api/v1/stream`,
        key,
        symbols: c.symbols,
        deflate: DEFLATE,
      }),
      profiled,
    ]);
    return result;
  } finally {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor: the bare Durable Object (bench/ws-floor) accepting the same storm on the same path. */
async function stormFloor(c: Case): Promise<StormResult> {
  const src = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-floor-'));
  cpSync(join(ROOT, 'bench/ws-floor'), src, { recursive: true });
  const platform = await startServer(src, join(src, '.state'));
  try {
    const base = DIRECT ? await directUrl(platform.pid, platform.url) : platform.url;
    return await stormOnce(c.n, {
      mode: 'base',
      url: `${base.replace('http', 'ws')}/sub`,
      symbols: c.symbols,
      deflate: DEFLATE,
    });
  } finally {
    await platform.stop();
    rmSync(src, { recursive: true, force: true });
  }
}

async function attemptStorm(name: string, run: () => Promise<StormResult>): Promise<StormResult> {
  try {
    return await run();
  } catch (err) {
    console.error(`${name}: the storm failed: ${err instanceof Error ? err.message : String(err)}`);
    failures.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    const nan = Number.NaN;
    return {
      lastReady: nan,
      readyP50: nan,
      readyP95: nan,
      openP50: nan,
      openP95: nan,
      failed: 0,
      reasons: [],
    };
  }
}

/** Runs the storm cases (ours, then the floor, per run) and prints their table. */
async function runStorms(cases: Case[], template: string, key: string): Promise<unknown[]> {
  const results = cases.map((c) => ({ c, ours: [] as StormResult[], floor: [] as StormResult[] }));
  for (let run = 0; run < RUNS; run++) {
    for (const r of results) {
      const name = caseName(r.c);
      console.error(`run ${run + 1}/${RUNS}, ${name}: ours…`);
      r.ours.push(await attemptStorm(name, () => stormOurs(template, key, r.c)));
      if (FLOOR) {
        console.error(`run ${run + 1}/${RUNS}, ${name}: workerd floor…`);
        r.floor.push(await attemptStorm(`${name} floor`, () => stormFloor(r.c)));
      }
    }
  }
  const med = (xs: StormResult[], k: keyof Omit<StormResult, 'reasons'>) => median(xs.map((x) => x[k]));
  const rows: Array<Record<string, string | number>> = [];
  for (const r of results) {
    for (const [impl, xs] of [
      ['skippy (auth + subscribe)', r.ours],
      ['floor (bare DO, accept)', r.floor],
    ] as const) {
      if (xs.length === 0) continue;
      rows.push({
        case: caseName(r.c),
        impl,
        last_ready_ms: fmt(med(xs, 'lastReady'), 0),
        last_spread: `${fmt(Math.min(...xs.map((x) => x.lastReady)), 0)}–${fmt(Math.max(...xs.map((x) => x.lastReady)), 0)}`,
        ready_p50_p95: `${fmt(med(xs, 'readyP50'), 0)}/${fmt(med(xs, 'readyP95'), 0)}`,
        open_p50_p95: `${fmt(med(xs, 'openP50'), 0)}/${fmt(med(xs, 'openP95'), 0)}`,
        failed: xs.map((x) => x.failed).join(','),
        reasons: [...new Set(xs.flatMap((x) => x.reasons))].join(' | ').slice(0, 120),
      });
    }
    if (r.floor.length > 0)
      rows.push({
        case: caseName(r.c),
        impl: 'ratio ours/floor',
        last_ready_ms: fmt(med(r.ours, 'lastReady') / med(r.floor, 'lastReady'), 2),
        last_spread: '',
        ready_p50_p95: `${fmt(med(r.ours, 'readyP50') / med(r.floor, 'readyP50'), 2)}/${fmt(med(r.ours, 'readyP95') / med(r.floor, 'readyP95'), 2)}`,
        open_p50_p95: '',
        failed: '',
        reasons: '',
      });
  }
  console.log(
    `\nbench:ws — connection storms: N sockets opened at once against a fresh server${DIRECT ? ', direct to workerd' : ', through wrangler dev'}, LOG_LEVEL ${LOG_LEVEL || 'info (wrangler.toml)'}; ours = authenticated and subscribed (snapshot received), floor = open; ms from the storm's start, median of ${RUNS} run(s); failed = refused or timed-out sockets per run\n`,
  );
  console.log(table(rows));
  return results;
}

/** Registers the multi-symbol cases' symbols (24x7 crypto-like instruments) in the template database. */
async function addBenchSymbols(persistTo: string, cases: Case[]): Promise<void> {
  const all = [...new Set(cases.flatMap((c) => (c.symbols.length > 1 ? c.symbols : [])))];
  const now = Date.now();
  const values = all.map(
    (s) => `('${s}', 'Bench ${s}', 'crypto', 'BENCH', 'USD', 0.01, 0.0001, '24x7', 'UTC', 1, ${now})`,
  );
  await d1Execute(persistTo, {
    command: `INSERT OR IGNORE INTO symbols (symbol, name, asset_class, exchange, currency, tick_size, lot_size, session, timezone, active, created_at) VALUES ${values.join(', ')}`,
  });
}

/**
 * wrangler's proxy holds ~4 file handles per socket and each subscriber process one: the large
 * cases need far more than the usual 1,024. Re-runs this script with the soft limit raised to the
 * hard one, and returns the limit in force.
 */
function fileLimit(): number {
  const read = (flag: string) =>
    Number(
      execFileSync('bash', ['-c', `ulimit ${flag}`], { encoding: 'utf8' })
        .trim()
        .replace('unlimited', '1048576'),
    );
  const soft = read('-Sn');
  const hard = read('-Hn');
  if (soft >= hard || process.env.SKIPPY_BENCH_NOFILE) return soft;
  const r = spawnSync(
    'bash',
    [
      '-c',
      `ulimit -n ${hard} && exec "$@"`,
      'bash',
      process.execPath,
      ...process.execArgv,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit', env: { ...process.env, SKIPPY_BENCH_NOFILE: String(hard) } },
  );
  process.exit(r.status ?? 1);
}

/** Whether wrangler's proxy can hold the case's sockets under the open-file limit (else: direct). */
const proxyFits = (c: Case, limit: number) => c.n * 4 + 2_000 <= limit;

/** A case that fails (a server that falls over) is reported as such instead of ending the whole run. */
async function attempt(name: string, run: () => Promise<CaseResult>): Promise<CaseResult> {
  try {
    return await run();
  } catch (err) {
    console.error(`N=${name}: the case failed: ${err instanceof Error ? err.message : String(err)}`);
    failures.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    const nan = Number.NaN;
    return {
      p50: nan,
      p95: nan,
      p99: nan,
      max: nan,
      fanoutP50: nan,
      fanoutP99: nan,
      deliveredPct: 0,
      msgsPerSec: 0,
      serverCpuPct: nan,
      clientCpuPct: nan,
    };
  }
}
const failures: string[] = [];

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

const FILE_LIMIT = fileLimit();
// wrangler dev refuses to start without the assets directory the frozen copy carries.
await buildDashboardIfNeeded((s) => console.error(s));
const templateDir = mkdtempSync(join(tmpdir(), 'skippy-bench-ws-template-'));
const sources = frozenSources();
try {
  const seed = await preparePlatform(templateDir);
  const admin = seed.keys.find((k) => k.scopes.includes('admin'));
  if (!admin) throw new Error('no admin demo key');
  if (CASES.some((c) => c.symbols.length > 1)) await addBenchSymbols(templateDir, CASES);
  const storms = await runStorms(
    CASES.filter((c) => c.storm),
    templateDir,
    admin.key,
  );
  const results: Array<{
    c: Case;
    ours: CaseResult[];
    direct: CaseResult[];
    floor: CaseResult[];
    floorDirect: CaseResult[];
    base: CaseResult[];
  }> = CASES.filter((c) => !c.storm).map((c) => ({
    c,
    ours: [],
    direct: [],
    floor: [],
    floorDirect: [],
    base: [],
  }));
  for (let run = 0; run < RUNS; run++) {
    for (const r of results) {
      const name = caseName(r.c);
      if (r.c.n * 2 + 2_000 > FILE_LIMIT) {
        // workerd itself holds ~2 handles per socket (it aborts with EMFILE past the limit).
        if (run === 0)
          failures.push(
            `${name}: not run: needs ~${r.c.n * 2 + 2_000} open files in workerd, the limit here is ${FILE_LIMIT}`,
          );
        continue;
      }
      const viaProxy = proxyFits(r.c, FILE_LIMIT);
      if (!viaProxy)
        console.error(
          `N=${name}: wrangler's proxy needs ~${r.c.n * 4} file handles, the limit here is ${FILE_LIMIT}: subscribers connect to workerd directly`,
        );
      console.error(`run ${run + 1}/${RUNS}, N=${name}: ours…`);
      r.ours.push(await attempt(name, () => runOurs(templateDir, admin.key, r.c, run, !viaProxy)));
      if (DIRECT && viaProxy) {
        console.error(`run ${run + 1}/${RUNS}, N=${name}: ours, direct to workerd…`);
        r.direct.push(await attempt(name, () => runOurs(templateDir, admin.key, r.c, run, true)));
      }
      if (FLOOR) {
        console.error(`run ${run + 1}/${RUNS}, N=${name}: workerd floor…`);
        r.floor.push(await attempt(`${name} floor`, () => runFloor(r.c, !viaProxy)));
        if (DIRECT && viaProxy) {
          console.error(`run ${run + 1}/${RUNS}, N=${name}: workerd floor, direct…`);
          r.floorDirect.push(await attempt(`${name} floor direct`, () => runFloor(r.c, true)));
        }
      }
      console.error(`run ${run + 1}/${RUNS}, N=${name}: baseline…`);
      r.base.push(await attempt(name, () => runBaseline(r.c)));
    }
  }
  const med = (xs: CaseResult[], k: keyof CaseResult) => median(xs.map((x) => x[k]));
  const rng = (xs: CaseResult[], k: keyof CaseResult) =>
    `${fmt(Math.min(...xs.map((x) => x[k])))}–${fmt(Math.max(...xs.map((x) => x[k])))}`;
  const rows: Array<Record<string, string | number>> = [];
  for (const r of results) {
    for (const [impl, xs] of [
      [proxyFits(r.c, FILE_LIMIT) ? 'skippy (wrangler dev)' : 'skippy (direct workerd)*', r.ours],
      ['skippy (direct workerd)', r.direct],
      [proxyFits(r.c, FILE_LIMIT) ? 'floor (bare DO, wrangler dev)' : 'floor (bare DO, direct)*', r.floor],
      ['floor (bare DO, direct)', r.floorDirect],
      ['baseline (node ws)', r.base],
    ] as const) {
      if (xs.length === 0) continue;
      rows.push({
        N: caseName(r.c),
        impl,
        p50_ms: fmt(med(xs, 'p50')),
        p95_ms: fmt(med(xs, 'p95')),
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
    const ratio = (impl: string, a: CaseResult[], b: CaseResult[]) => ({
      N: caseName(r.c),
      impl,
      p50_ms: fmt(med(a, 'p50') / med(b, 'p50'), 2),
      p95_ms: fmt(med(a, 'p95') / med(b, 'p95'), 2),
      p99_ms: fmt(med(a, 'p99') / med(b, 'p99'), 2),
      p99_spread: '',
      max_ms: '',
      fanout_p50_p99: '',
      delivered_pct: '',
      msgs_per_s: fmt(med(a, 'msgsPerSec') / med(b, 'msgsPerSec'), 2),
      server_cpu_pct: '',
      client_cpu_pct: '',
    });
    if (r.floor.length > 0) {
      rows.push(ratio('ratio ours/floor', r.ours, r.floor));
      if (r.direct.length > 0 && r.floorDirect.length > 0)
        rows.push(ratio('ratio ours/floor, direct', r.direct, r.floorDirect));
      rows.push(ratio('ratio floor/baseline', r.floor, r.base));
    }
    rows.push(ratio('ratio ours/baseline', r.ours, r.base));
  }
  if (results.length > 0)
    console.log(
      `\nbench:ws — N sockets (NxS: over S symbols), ${RATE} ticks/s per symbol, ticks published over ${PUBLISHER === 'socket' ? 'the publisher WebSocket' : 'POST /api/v1/ingest/ticks'}, subscribers ${DEFLATE ? 'offer' : 'do not offer'} permessage-deflate, ${SECONDS} s measured per case, median of ${RUNS} run(s); latency = receive − send (ms resolution); fanout = receive − room sequencing time (st)\n`,
    );
  if (rows.length > 0) console.log(table(rows));
  for (const f of failures) console.log(`failed: ${f}`);
  if (results.some((r) => !proxyFits(r.c, FILE_LIMIT)))
    console.log(
      `\n* wrangler dev's proxy holds ~4 file handles per socket; under this machine's open-file limit (${FILE_LIMIT}) these cases' subscribers connect to the Worker's workerd port directly (ticks still go through the proxy).`,
    );
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(
    ROOT,
    'bench-results',
    `ws-${new Date().toISOString().replaceAll(':', '-').replaceAll('.', '-')}.json`,
  );
  writeFileSync(
    file,
    JSON.stringify(
      { rate: RATE, seconds: SECONDS, runs: RUNS, deflate: DEFLATE, publisher: PUBLISHER, results, storms },
      null,
      2,
    ),
  );
  console.log(`\nraw results: ${file}`);
} finally {
  rmSync(templateDir, { recursive: true, force: true });
  rmSync(sources, { recursive: true, force: true });
}

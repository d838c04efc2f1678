/**
 * What one WebSocket message event costs the server, ours against the floor:
 *
 *   npm run bench:ws-events -- [--frames=1000] [--rate=100] [--runs=3]
 *
 * A publisher socket sends `frames` frames at `rate` per second, nobody subscribed, and the
 * workerd processes' CPU time (user + system, /proc) is divided by the frames:
 * - floor: the bare Durable Object of bench/ws-floor (`/pub`): one hibernatable message event, a
 *   regex and an empty broadcast: what the runtime charges for an event on this machine;
 * - ours, refused: Skippy's publisher socket (`/api/v1/ingest/stream`) with an unknown symbol: the
 *   frame is parsed, budgeted, checked and answered by id, no room is called;
 * - ours, sequenced: the same with a real symbol: the room sequences the tick (SQLite transaction,
 *   message log) and the frame is acknowledged.
 * Each run starts both servers fresh (simulator off) and runs the three in turn. Acks and fan-out
 * deliveries are events of the same kind, which is why the stream counts them (docs/streaming.md,
 * "What an event costs").
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort, preparePlatform, ROOT, startWrangler, wranglerEnv } from '../scripts/lib/platform';
import { median, spread, table } from './lib/stats';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const FRAMES = Number(arg('frames', '1000'));
const RATE = Number(arg('rate', '100'));
const RUNS = Number(arg('runs', '3'));

/** CPU seconds (user + system) of every workerd process: the servers' whole cost, proxies included. */
function workerdCpuSeconds(): number {
  const pids = execSync('pgrep -x workerd || true').toString().split('\n').filter(Boolean);
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100;
}

async function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** Sends `FRAMES` frames at `RATE`/s and returns workerd CPU ms per frame. */
async function measure(ws: WebSocket, frame: (i: number) => string): Promise<number> {
  for (let i = 0; i < 20; i++) ws.send(frame(-1 - i)); // warm-up
  await new Promise((r) => setTimeout(r, 1_000));
  const before = workerdCpuSeconds();
  const started = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    ws.send(frame(i));
    const due = started + ((i + 1) * 1000) / RATE;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 500)); // let the last frames finish
  return ((workerdCpuSeconds() - before) * 1000) / FRAMES;
}

async function startFloor(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--config',
      join(ROOT, 'bench/ws-floor/wrangler.toml'),
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--show-interactive-dev-session=false',
    ],
    { stdio: 'ignore', detached: true, env: wranglerEnv() },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (
      await fetch(`${url}/api/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the floor server did not start');
}

const rows: Record<'floor' | 'refused' | 'sequenced', number[]> = { floor: [], refused: [], sequenced: [] };
for (let run = 0; run < RUNS; run++) {
  if (execSync('pgrep -x workerd || true').toString().trim())
    throw new Error('another workerd is running: its CPU would count here; stop it first');
  const persist = mkdtempSync(join(tmpdir(), 'skippy-ws-events-'));
  const info = await preparePlatform(persist);
  const key = info.keys.find((k) => k.name === 'demo-admin')?.key ?? '';
  const ours = await startWrangler({
    port: await freePort(),
    persistTo: persist,
    vars: { SIMULATOR_ENABLED: 'false' },
  });
  const floor = await startFloor();
  try {
    const pub = await open(`${floor.url.replace('http', 'ws')}/pub`);
    rows.floor.push(
      await measure(pub, (i) =>
        JSON.stringify({
          type: 'data',
          messages: [{ symbol: 'ZZZZ', seq: i, ts: Date.now(), type: 'trade', price: 100, size: 1 }],
        }),
      ),
    );
    pub.close();
    const publisher = await open(`${ours.url.replace('http', 'ws')}/api/v1/ingest/stream`, {
      authorization: `Bearer ${key}`,
    });
    const tick = (symbol: string) => (i: number) =>
      JSON.stringify({
        type: 'ticks',
        id: `${symbol}-${i}`,
        ticks: [
          {
            type: 'trade',
            symbol,
            sourceId: `${run}-${symbol}-${i}`,
            ts: Date.now(),
            price: 190 + (i % 10) / 100,
            size: 1,
          },
        ],
      });
    rows.refused.push(await measure(publisher, tick('ZZZZ')));
    rows.sequenced.push(await measure(publisher, tick('AAPL')));
    publisher.close();
    console.error(
      `run ${run + 1}/${RUNS}: floor ${rows.floor.at(-1)?.toFixed(2)} · refused ${rows.refused.at(-1)?.toFixed(2)} · sequenced ${rows.sequenced.at(-1)?.toFixed(2)} ms CPU/frame`,
    );
  } finally {
    await ours.stop();
    try {
      if (floor.child.pid) process.kill(-floor.child.pid, 'SIGTERM');
    } catch {
      // gone
    }
    await new Promise((r) => setTimeout(r, 2_000));
    rmSync(persist, { recursive: true, force: true });
  }
}

const floorMedian = median(rows.floor);
console.log(
  `\nbench:ws-events — workerd CPU per publisher frame, ${FRAMES} frames at ${RATE}/s, no subscribers, median of ${RUNS} run(s)\n`,
);
console.log(
  table(
    (['floor', 'refused', 'sequenced'] as const).map((k) => ({
      case: {
        floor: 'floor: bare DO message event',
        refused: 'ours: frame refused (unknown symbol)',
        sequenced: 'ours: tick sequenced by its room',
      }[k],
      cpu_ms_per_frame: median(rows[k]).toFixed(2),
      spread: spread(rows[k]),
      ratio_to_floor: (median(rows[k]) / floorMedian).toFixed(2),
    })),
  ),
);
process.exit(0);

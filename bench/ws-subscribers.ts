/**
 * Subscriber process for `bench:ws` (forked by bench/ws.ts, driven over IPC): opens N sockets,
 * records receive time − send time (the tick's `ts`) for every trade, and reports latencies,
 * counts and its own CPU time.
 */
import WebSocket from 'ws';

interface ConnectCmd {
  cmd: 'connect';
  mode: 'ours' | 'base';
  url: string;
  key?: string;
  symbols: string[];
  /** Offer permessage-deflate, as browsers do (off by default, like the baseline server). */
  deflate?: boolean;
  n: number;
}
/** A connection storm: every socket opened at once; each reports when it opened and was ready. */
type StormCmd = Omit<ConnectCmd, 'cmd'> & { cmd: 'storm' };
type Cmd = ConnectCmd | StormCmd | { cmd: 'ping' } | { cmd: 'start' } | { cmd: 'stop' } | { cmd: 'close' };

/** One storm socket: ms from the storm's start until open (101) and until ready, or why it failed. */
type StormOutcome = { open: number; ready: number } | { failed: string };

/**
 * Socket `i` of a connect or storm command, on its symbol, which goes in the URL: the baseline's
 * `?symbol=`, ours as the shipped client subscribes (`?subscribe=`, answered after the welcome
 * without a frame from the client).
 */
function openSocket(c: ConnectCmd | StormCmd, i: number): WebSocket {
  const symbol = c.symbols[i % c.symbols.length] ?? 'AAPL';
  const url =
    c.mode === 'base'
      ? `${c.url}?symbol=${encodeURIComponent(symbol)}`
      : `${c.url}?subscribe=${encodeURIComponent(symbol)}&channels=trades&bars=0`;
  const ws = new WebSocket(url, {
    perMessageDeflate: c.deflate === true,
    ...(c.key ? { headers: { authorization: `Bearer ${c.key}` } } : {}),
  });
  sockets.push(ws);
  return ws;
}

/**
 * Opens one socket of a storm. Ready means subscribed (ours: its `snapshot` arrived) or, for the
 * servers without a protocol (floor, baseline), open. Failures are recorded, not thrown: a refused
 * socket is a result of the storm.
 */
function stormOne(c: StormCmd, i: number, t0: number): Promise<StormOutcome> {
  const ws = openSocket(c, i);
  return new Promise<StormOutcome>((resolve) => {
    let open = Number.NaN;
    const timer = setTimeout(() => resolve({ failed: 'timeout (60 s)' }), 60_000);
    const done = (o: StormOutcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    ws.once('unexpected-response', (_req, res) => done({ failed: `HTTP ${res.statusCode}` }));
    ws.once('error', (err) => done({ failed: err.message }));
    ws.once('open', () => {
      open = performance.now() - t0;
      if (c.mode === 'base') done({ open, ready: open });
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"type":"snapshot"')) done({ open, ready: performance.now() - t0 });
      else if (text.includes('"type":"error"')) done({ failed: text.slice(0, 200) });
    });
  });
}

/** The server's `ackEvery` (the most frames a client may leave unacknowledged) until its welcome says otherwise. */
let ackEvery = 2048;
/** The server's `ackBytes`; subscribers ack at half of it, as the shipped client does. */
let ackBytes = 256 * 1024;
const sockets: WebSocket[] = [];
let recording = false;
let latencies: number[] = [];
/** receive − server sequencing time (`st`): the fan-out part of the latency. */
let fanout: number[] = [];
let delivered = 0;
let cpuAt = process.cpuUsage();

function onFrame(text: string): { trades: Array<[number, number]>; data: boolean } {
  const trades: Array<[number, number]> = [];
  const f: unknown = JSON.parse(text);
  if (
    typeof f !== 'object' ||
    f === null ||
    !('type' in f) ||
    f.type !== 'data' ||
    !('messages' in f) ||
    !Array.isArray(f.messages)
  )
    return { trades, data: false };
  for (const m of f.messages)
    if (m && m.type === 'trade' && typeof m.ts === 'number')
      trades.push([m.ts, typeof m.st === 'number' ? m.st : m.ts]);
  return { trades, data: true };
}

async function openOne(c: ConnectCmd, i: number): Promise<void> {
  const ws = openSocket(c, i);
  let unacked = 0;
  let unackedBytes = 0;
  // A random first ack phase, as the shipped client does: subscribers acking in lockstep make
  // the gateway answer 1,000 acks in one burst, which stalls the next tick.
  let ackAt = 1 + Math.floor(Math.random() * ackEvery);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket not ready in 60 s')), 60_000);
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('open', () => {
      if (c.mode === 'base') {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on('message', (data) => {
      const now = Date.now();
      const text = data.toString();
      const { trades, data: isData } = onFrame(text);
      if (!isData) {
        const every = /"ackEvery":(\d+)/.exec(text)?.[1];
        const bytes = /"ackBytes":(\d+)/.exec(text)?.[1];
        if (bytes) ackBytes = Number(bytes);
        if (text.includes('"type":"welcome"') && every) {
          ackEvery = Number(every);
          ackAt = 1 + Math.floor(Math.random() * ackEvery); // the random phase, within the server's window
        }
        if (text.includes('"type":"snapshot"')) {
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      if (recording) {
        delivered += trades.length;
        for (const [ts, st] of trades) {
          latencies.push(now - ts);
          fanout.push(now - st);
        }
      }
      if (c.mode === 'ours') {
        unacked++;
        unackedBytes += text.length;
        if (unacked >= ackAt || unackedBytes >= ackBytes / 2) {
          ws.send(JSON.stringify({ type: 'ack', frames: unacked }));
          unacked = 0;
          unackedBytes = 0;
          ackAt = ackEvery;
        }
      }
    });
  });
}

process.on('message', async (msg: Cmd) => {
  try {
    if (msg.cmd === 'ping') process.send?.({ pong: true });
    else if (msg.cmd === 'storm') {
      const t0 = performance.now();
      const outcomes = await Promise.all(Array.from({ length: msg.n }, (_, i) => stormOne(msg, i, t0)));
      process.send?.({ storm: outcomes });
    } else if (msg.cmd === 'connect') {
      const batch = 50;
      for (let i = 0; i < msg.n; i += batch) {
        await Promise.all(Array.from({ length: Math.min(batch, msg.n - i) }, (_, j) => openOne(msg, i + j)));
      }
      process.send?.({ ready: sockets.length });
    } else if (msg.cmd === 'start') {
      latencies = [];
      fanout = [];
      delivered = 0;
      recording = true;
      cpuAt = process.cpuUsage();
      process.send?.({ started: true });
    } else if (msg.cmd === 'stop') {
      recording = false;
      const cpu = process.cpuUsage(cpuAt);
      process.send?.({ latencies, fanout, delivered, cpuMs: (cpu.user + cpu.system) / 1000 });
    } else if (msg.cmd === 'close') {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  } catch (err) {
    process.send?.({ error: String(err) });
  }
});

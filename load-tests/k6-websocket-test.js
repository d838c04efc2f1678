/**
 * WebSocket streaming: many sockets, each subscribed to two of the simulator's symbols; delivery
 * latency (receive time minus the message's server timestamp `st`) p95 < 50 ms, no socket errors.
 * Run the load generator near the Worker (clock offset adds to the measured latency).
 *
 *   BASE_URL=http://127.0.0.1:8787 API_KEY=sk_… k6 run load-tests/k6-websocket-test.js
 *   BASE_URL=http://127.0.0.1:8787 API_KEY=sk_… k6 run --vus 1000 --duration 5m load-tests/k6-websocket-test.js
 *
 * API_KEY needs the `read` scope and, past 100 sockets, the `high` tier (`npm start` prints one:
 * "load tests"): a key's stream has its own limits, 2,000 open sockets and 10,000 connects a minute
 * on `high`, 100 and 120 on `standard` (docs/streaming.md, "Limits"). SOCKETS (default 100),
 * SESSION_SECONDS (default 30), DURATION (default 1m) shape the `sockets` scenario; `--vus` and
 * `--duration` on the command line replace the scenarios and run the `default` export, the same
 * session per VU. k6 1.x, `k6/websockets` (the `k6/ws` module is legacy).
 */
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import { SLO, STREAM_SYMBOLS } from './lib/slo.js';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');
const WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/api/v1/stream`;
const API_KEY = __ENV.API_KEY || '';
const SESSION_MS = Number(__ENV.SESSION_SECONDS || 30) * 1000;

const delivery = new Trend('ws_delivery_ms', true);
const subscribeTime = new Trend('ws_subscribed_ms', true);
const wsErrors = new Rate('ws_errors');
const messages = new Counter('ws_messages');
const errorFrames = new Counter('ws_error_frames');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    // Sockets are long-lived connections, so this one scenario is closed-model by nature:
    // each VU holds one socket for SESSION_SECONDS, then reconnects.
    sockets: {
      executor: 'constant-vus',
      vus: Number(__ENV.SOCKETS || 100),
      duration: __ENV.DURATION || '1m',
      exec: 'stream',
    },
  },
  // The SLOs (load-tests/lib/slo.js): delivery p95 and socket errors (refused upgrades, 429s
  // included, and failed sockets); and data must actually flow.
  thresholds: {
    ws_delivery_ms: [`p(95)<${SLO.wsDeliveryP95Ms}`],
    ws_errors: [`rate<${SLO.wsErrorRate}`],
    ws_messages: ['count>0'],
  },
};

/** One session: connect, subscribe to two symbols, acknowledge data, close after SESSION_SECONDS. */
export function stream() {
  const first = exec.vu.idInTest % STREAM_SYMBOLS.length;
  const symbols = [STREAM_SYMBOLS[first], STREAM_SYMBOLS[(first + 1) % STREAM_SYMBOLS.length]];
  const started = Date.now();
  let subscribed = false;
  // Flow control as the shipped client does it (docs/streaming.md, "Acks"): ack at half of the
  // welcome's ackEvery frames or ackBytes bytes, the first time at a random phase, so 1,000
  // sessions do not ack in lockstep (each ack is an event the gateway dispatches).
  let unacked = 0;
  let unackedBytes = 0;
  let ackEvery = 1024;
  let ackBytes = 128 * 1024;
  let ackAt = 1 + Math.floor(Math.random() * ackEvery);
  // Subscribed in the upgrade URL, as the shipped client does: the gateway answers it right after
  // the welcome, so a storm of sessions costs the server no subscribe message per socket.
  const url = `${WS_URL}?subscribe=${symbols.join(',')}&channels=trades,quotes&bars=0`;
  const ws = new WebSocket(url, null, { headers: { authorization: `Bearer ${API_KEY}` } });
  ws.addEventListener('open', () => {
    wsErrors.add(false);
    // The session's own timer: the iteration ends once the socket has closed.
    setTimeout(() => ws.close(1000), SESSION_MS);
  });
  ws.addEventListener('message', (e) => {
    const text = String(/** @type {import('k6/websockets').MessageEvent} */ (e).data);
    const frame = JSON.parse(text);
    if (frame.type === 'error') errorFrames.add(1);
    if (frame.type === 'welcome') {
      ackEvery = Math.max(1, Math.floor(frame.limits.ackEvery / 2));
      ackBytes = frame.limits.ackBytes / 2;
      ackAt = 1 + Math.floor(Math.random() * ackEvery);
    }
    if (frame.type === 'snapshot' && !subscribed) {
      subscribed = true;
      subscribeTime.add(Date.now() - started);
    }
    if (frame.type !== 'data') return;
    const now = Date.now();
    for (const m of frame.messages) {
      delivery.add(now - m.st);
      messages.add(1);
    }
    unacked++;
    unackedBytes += text.length;
    if (unacked >= ackAt || unackedBytes >= ackBytes) {
      ws.send(JSON.stringify({ type: 'ack', frames: unacked }));
      unacked = 0;
      unackedBytes = 0;
      ackAt = ackEvery;
    }
  });
  // A refused upgrade (401, 429…: the socket never opens) or a socket that failed.
  ws.addEventListener('error', () => wsErrors.add(true));
}

/** `k6 run --vus N --duration D load-tests/k6-websocket-test.js`: the same session per VU. */
export default function () {
  stream();
}

/**
 * WebSocket streaming: many sockets subscribed to the demo symbols; delivery latency
 * (receive time minus the message's server timestamp `st`) p95 < 50 ms, no socket errors.
 * Run the load generator near the Worker (clock offset adds to the measured latency).
 *
 *   BASE_URL=http://127.0.0.1:8787 API_KEY=sk_… k6 run load-tests/k6-websocket-test.js
 *
 * API_KEY needs the `read` scope. SOCKETS (default 100), SESSION_SECONDS (default 30), DURATION.
 */
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import ws from 'k6/ws';
import { SLO, SYMBOLS } from './lib/slo.js';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');
const WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/api/v1/stream`;
const API_KEY = __ENV.API_KEY || '';
const SESSION_MS = Number(__ENV.SESSION_SECONDS || 30) * 1000;

const delivery = new Trend('ws_delivery_ms', true);
const wsErrors = new Rate('ws_errors');
const messages = new Counter('ws_messages');
const resets = new Counter('ws_error_frames');

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
  thresholds: {
    ws_delivery_ms: [`p(95)<${SLO.wsDeliveryP95Ms}`],
    ws_errors: ['rate<0.01'],
    ws_messages: ['count>0'],
  },
};

export function stream() {
  const first = exec.vu.idInTest % SYMBOLS.length;
  const symbols = [SYMBOLS[first], SYMBOLS[(first + 1) % SYMBOLS.length]];
  let unacked = 0;
  const res = ws.connect(WS_URL, { headers: { authorization: `Bearer ${API_KEY}` } }, (socket) => {
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'subscribe', symbols, channels: ['trades', 'quotes'], bars: 0 }));
    });
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.type === 'error') resets.add(1);
      if (frame.type !== 'data') return;
      const now = Date.now();
      for (const m of frame.messages) {
        delivery.add(now - m.st);
        messages.add(1);
      }
      unacked++;
      // Flow control (docs/streaming.md): acknowledge processed data frames.
      if (unacked >= 8) {
        socket.send(JSON.stringify({ type: 'ack', frames: unacked }));
        unacked = 0;
      }
    });
    socket.on('error', () => wsErrors.add(true));
    // The socket's own timer (k6/ws), not a global one.
    socket.setTimeout(() => socket.close(1000), SESSION_MS);
  });
  wsErrors.add(res?.status !== 101);
}

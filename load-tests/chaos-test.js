/**
 * Chaos: with 20 % of D1 calls failing (admin `PUT /api/v1/admin/faults`, local and staging
 * only), reads keep answering, stale from cache where needed, and never with a 5xx.
 *
 *   BASE_URL=http://127.0.0.1:8787 API_KEY=sk_admin… k6 run load-tests/chaos-test.js
 *
 * API_KEY must be an admin key (it sets and clears the faults). FAULT_RATE (default 0.2),
 * RPS (default 50), DURATION (default 1m).
 */
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import { SLO, SYMBOLS } from './lib/slo.js';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');
const API_KEY = __ENV.API_KEY || '';
const FAULT_RATE = Number(__ENV.FAULT_RATE || 0.2);
const DURATION = __ENV.DURATION || '1m';

const serverErrors = new Rate('server_errors');
const staleServed = new Counter('stale_served');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    reads: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RPS || 50),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 20,
      maxVUs: 200,
      exec: 'reads',
    },
  },
  thresholds: {
    server_errors: [`rate<=${SLO.chaosServerErrorRate}`],
    'http_req_duration{scenario:reads}': [`p(95)<${SLO.marketDataP95Ms * 5}`],
  },
};

const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

export function setup() {
  // Warm the caches first, so a failed D1 read has a copy to fall back to.
  http.get(`${BASE_URL}/api/v1/symbols`, { headers });
  for (const s of SYMBOLS) http.get(`${BASE_URL}/api/v1/bars/${s}?timeframe=1d&limit=100`, { headers });
  const durationSeconds = Math.min(3600, Math.ceil(parseDuration(DURATION) / 1000) + 60);
  const res = http.put(
    `${BASE_URL}/api/v1/admin/faults`,
    JSON.stringify({ d1ErrorRate: FAULT_RATE, durationSeconds }),
    { headers },
  );
  if (res.status !== 200) exec.test.abort(`could not inject faults: HTTP ${res.status} ${res.body}`);
}

export function reads() {
  const i = exec.scenario.iterationInTest;
  const s = SYMBOLS[i % SYMBOLS.length];
  // Half the reads skip fresh cache copies, so they reach D1 and meet the injected failures.
  const h = i % 2 === 0 ? { ...headers, 'cache-control': 'no-cache' } : headers;
  const url =
    i % 3 === 0 ? `${BASE_URL}/api/v1/symbols` : `${BASE_URL}/api/v1/bars/${s}?timeframe=1d&limit=100`;
  const res = http.get(url, {
    headers: h,
    tags: { name: i % 3 === 0 ? 'GET /api/v1/symbols' : 'GET /api/v1/bars/:symbol' },
  });
  serverErrors.add(res.status >= 500);
  if (res.status === 200 && res.json('stale') === true) staleServed.add(1);
}

export function teardown() {
  http.del(`${BASE_URL}/api/v1/admin/faults`, null, { headers });
}

/** @param {string} d k6 duration such as `90s`, `2m`, `1m30s` */
function parseDuration(d) {
  let ms = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|s|m|h)/g)) {
    ms += Number(n) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
  }
  return ms || 60_000;
}

/**
 * API SLOs under an open model (constant arrival rate): predictions p95 < 200 ms,
 * backtests p95 < 1 s, market data p95 < 200 ms, < 0.1 % errors on predictions and backtests.
 *
 *   BASE_URL=https://skippy.example.workers.dev API_KEY=sk_… k6 run load-tests/api-slo-test.js
 *
 * API_KEY needs the `trade` scope (predictions, backtests) and a `high` rate-limit tier.
 * Rates: PREDICTIONS_RPS, BACKTESTS_RPS, MARKET_RPS; DURATION (default 1m).
 */
import exec from 'k6/execution';
import http from 'k6/http';
import { Rate, Trend } from 'k6/metrics';
import { BACKTEST_BODY, SLO, SYMBOLS } from './lib/slo.js';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');
const API_KEY = __ENV.API_KEY || '';
const DURATION = __ENV.DURATION || '1m';

const serverErrors = new Rate('server_errors');
const staleReads = new Rate('stale_reads');
const backtestQueued = new Trend('backtest_queued_ms', true);

/** @param {number} rate @param {string} fn @returns {import('k6/options').Scenario} */
function openModel(rate, fn) {
  return {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: Math.max(2, rate * 2),
    maxVUs: Math.max(10, rate * 10),
    exec: fn,
  };
}

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    predictions: openModel(Number(__ENV.PREDICTIONS_RPS || 20), 'predictions'),
    backtests: openModel(Number(__ENV.BACKTESTS_RPS || 5), 'backtests'),
    marketData: openModel(Number(__ENV.MARKET_RPS || 50), 'marketData'),
  },
  thresholds: {
    'http_req_duration{scenario:predictions}': [`p(95)<${SLO.predictionsP95Ms}`],
    'http_req_duration{scenario:backtests}': [`p(95)<${SLO.backtestsP95Ms}`],
    'http_req_duration{scenario:marketData}': [`p(95)<${SLO.marketDataP95Ms}`],
    'http_req_failed{scenario:predictions}': [`rate<${SLO.criticalErrorRate}`],
    'http_req_failed{scenario:backtests}': [`rate<${SLO.criticalErrorRate}`],
    'server_errors{scenario:marketData}': [`rate<${SLO.criticalErrorRate}`],
  },
};

const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

function symbol() {
  return SYMBOLS[exec.scenario.iterationInTest % SYMBOLS.length];
}

export function predictions() {
  const res = http.get(`${BASE_URL}/api/v1/predictions/${symbol()}?horizon=1d`, {
    headers,
    tags: { name: 'GET /api/v1/predictions/:symbol' },
  });
  serverErrors.add(res.status >= 500);
}

export function backtests() {
  const res = http.post(`${BASE_URL}/api/v1/backtests`, JSON.stringify(BACKTEST_BODY), {
    headers,
    tags: { name: 'POST /api/v1/backtests' },
  });
  serverErrors.add(res.status >= 500);
  // 202 means the run was queued: its latency is the enqueue, tracked separately.
  if (res.status === 202) backtestQueued.add(res.timings.duration);
}

export function marketData() {
  const i = exec.scenario.iterationInTest % 3;
  const url =
    i === 0
      ? `${BASE_URL}/api/v1/symbols`
      : i === 1
        ? `${BASE_URL}/api/v1/quotes/${symbol()}`
        : `${BASE_URL}/api/v1/bars/${symbol()}?timeframe=1d&limit=100`;
  const name =
    i === 0 ? 'GET /api/v1/symbols' : i === 1 ? 'GET /api/v1/quotes/:symbol' : 'GET /api/v1/bars/:symbol';
  const res = http.get(url, {
    headers,
    tags: { name },
    responseCallback: http.expectedStatuses({ min: 200, max: 404 }),
  });
  serverErrors.add(res.status >= 500);
  if (res.status === 200 && i !== 1) staleReads.add(res.json('stale') === true);
}

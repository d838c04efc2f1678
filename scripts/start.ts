/**
 * `npm start`: the whole platform on this machine. Applies migrations, seeds the demo market
 * and demo keys on the first run, builds the dashboard if needed, then serves everything with
 * `wrangler dev` (local D1, KV, Queues, Durable Objects, rate limiter; simulated market live).
 */
import { buildDashboardIfNeeded } from './lib/dashboard';
import {
  DEFAULT_PERSIST,
  type DemoKey,
  LOAD_TEST_KEY_NAME,
  preparePlatform,
  startWrangler,
} from './lib/platform';

/** How a demo key is listed: its scopes, its tier when it is not standard, the load-test key by name. */
function label(k: DemoKey): string {
  const grants = `${k.scopes.join(',')}${k.tier === 'high' ? ', high tier' : ''}`;
  if (k.name === LOAD_TEST_KEY_NAME) return `load tests (${grants})`;
  return k.tier === 'high' ? `${k.scopes.join(',')} (high tier)` : grants;
}

const port = Number(process.env.PORT ?? 8787);
// SKIPPY_STATE_DIR keeps a second platform's state apart (benchmarks, experiments).
const persistTo = process.env.SKIPPY_STATE_DIR ?? DEFAULT_PERSIST;
const t0 = performance.now();
const log = (s: string) => console.log(`[skippy] ${s}`);

await buildDashboardIfNeeded(log);
const seed = await preparePlatform(persistTo, log);
log('Starting wrangler dev…');
const platform = await startWrangler({ port, persistTo, inheritStdio: true, timeoutMs: 180_000 });
const seconds = ((performance.now() - t0) / 1000).toFixed(1);
const base = `http://localhost:${port}`;
const width = Math.max(...seed.keys.map((k) => label(k).length));
console.log(`
  Skippy is up in ${seconds} s (seeded ${new Date(seed.seededAt).toISOString()}: ${seed.daily} daily and ${seed.minute} 1-minute bars).

  Dashboard     ${base}/
  API docs      ${base}/api/docs   (OpenAPI: ${base}/api/openapi.json)
  Health        ${base}/api/health
  Stream        ws://localhost:${port}/api/v1/stream
  Metrics       ${base}/metrics

  Demo API keys (local only; send as "Authorization: Bearer <key>"):
${seed.keys.map((k) => `    ${label(k).padEnd(width)} ${k.key}`).join('\n')}
  Load tests (README, "Load testing"): k6-websocket-test.js takes the "load tests" key;
  chaos-test.js and api-slo-test.js the admin key.

  Try: curl -H "Authorization: Bearer ${seed.keys[0]?.key}" ${base}/api/v1/quotes/BTC-USD
`);
const stop = () => {
  void platform.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
platform.child.on('exit', (code) => process.exit(code ?? 0));

/**
 * `npm run loadtest:websocket|loadtest:chaos|loadtest:api`: runs the k6 script when k6 is
 * installed; otherwise explains how to get it and exits 0 (the Node harness measures the same
 * scenarios: `npm run loadtest:local`).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPTS: Record<string, string> = {
  websocket: 'k6-websocket-test.js',
  chaos: 'chaos-test.js',
  api: 'api-slo-test.js',
};
/** The API_KEY each script needs (README, "Load testing"); `npm start` prints them. */
const KEYS: Record<string, string> = {
  websocket: 'a `read` key on the `high` tier ("load tests" in `npm start`\'s list)',
  chaos: 'an admin key ("admin" in `npm start`\'s list: it sets and clears the D1 faults)',
  api: 'an admin key on the `high` tier ("admin" in `npm start`\'s list: trade and read, high REST budget)',
};

const which = process.argv[2] ?? '';
const script = SCRIPTS[which];
if (!script) {
  console.error(`usage: tsx load-tests/node/k6.ts <${Object.keys(SCRIPTS).join('|')}>`);
  process.exit(2);
}
const path = join(dirname(fileURLToPath(import.meta.url)), '..', script);
if (spawnSync('k6', ['version'], { stdio: 'ignore' }).status !== 0) {
  console.log(`k6 is not installed, so ${script} was not run.
Install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/), e.g.
  brew install k6            # macOS
  sudo apt-get install k6    # Debian/Ubuntu after adding the k6 apt repository
  docker run --rm --network host -v "$PWD/load-tests:/scripts" -e BASE_URL -e API_KEY grafana/k6 run /scripts/${script}
then: BASE_URL=http://127.0.0.1:8787 API_KEY=sk_… npm run loadtest:${which}   (API_KEY: ${KEYS[which]})
Without k6, the same scenarios run in Node: npm run loadtest:local`);
  process.exit(0);
}
if (!process.env.API_KEY) {
  console.error(`Set API_KEY to ${KEYS[which]}, and BASE_URL (default http://127.0.0.1:8787).`);
  process.exit(2);
}
// Extra arguments go to k6: npm run loadtest:websocket -- --vus 1000 --duration 5m
const res = spawnSync('k6', ['run', ...process.argv.slice(3), path], { stdio: 'inherit', env: process.env });
process.exit(res.status ?? 1);

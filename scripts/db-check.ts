/**
 * `npm run db:check [-- --persist-to DIR]`: lists stored bars that break the bar invariants
 * (finite positive prices, low ≤ open, close ≤ high, volume ≥ 0) in the LOCAL database
 * (default .wrangler/state, the one `npm start` uses). Exits 1 when any exist, 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkLocalBars } from './lib/bar-check';
import { DEFAULT_PERSIST } from './lib/platform';

const { values } = parseArgs({
  options: {
    'persist-to': { type: 'string', default: DEFAULT_PERSIST },
    limit: { type: 'string', default: '50' },
  },
});
const persistTo = values['persist-to'] ?? DEFAULT_PERSIST;
if (!existsSync(persistTo)) {
  console.error(`db:check: no local state at ${persistTo}`);
  process.exit(2);
}
const { total, invalid, examples } = await checkLocalBars(persistTo, Number(values.limit) || 50);
if (invalid === 0) {
  console.log(`db:check: ${total} bars, none invalid`);
  process.exit(0);
}
console.error(`db:check: ${invalid} of ${total} bars invalid (first ${examples.length}):`);
for (const b of examples) {
  console.error(
    `  ${b.symbol} ${b.timeframe} ${new Date(b.ts).toISOString()} o=${b.open} h=${b.high} l=${b.low} c=${b.close} v=${b.volume}: ${b.problem}`,
  );
}
process.exit(1);

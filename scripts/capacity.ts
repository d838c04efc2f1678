/**
 * The capacity model on the command line: the same flags as `GET /api/v1/capacity`'s query
 * (schema/contracts/capacity.ts), validated by the same schema.
 *
 *   npm run capacity -- --users 10000 --rps 0.2 --sockets 10000 [--symbols 500 …] [--preset broker] [--json]
 *   npm run capacity -- --preset internet
 */
import { capacityCurve, workersCapacity } from '../engine/capacity';
import { CapacityQuery, workloadFromQuery } from '../schema/contracts/capacity';

const args = process.argv.slice(2);
const raw: Record<string, string> = {};
let asJson = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--json') {
    asJson = true;
    continue;
  }
  const m = /^--([A-Za-z]+)(?:=(.*))?$/.exec(a);
  if (!m) fail(`unexpected argument ${a} (flags look like --users 1000)`);
  const name = m[1]!;
  const value = m[2] ?? args[++i];
  if (value === undefined) fail(`--${name} needs a value`);
  if (!(name in CapacityQuery.shape))
    fail(`unknown flag --${name}; known: ${Object.keys(CapacityQuery.shape).join(', ')}`);
  raw[name] = value;
}

const parsed = CapacityQuery.safeParse(raw);
if (!parsed.success) fail(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
const workload = workloadFromQuery(parsed.data, new Set(Object.keys(raw)));
const r = workersCapacity(workload);
const curve = capacityCurve(workload);

if (asJson) {
  console.log(JSON.stringify({ ...r, curve }, null, 2));
  process.exit(0);
}

const n = (x: number, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(x);
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) =>
      row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
};

const w = r.workload;
console.log(
  `workload: ${n(w.users)} users × ${w.requestsPerUserPerSecond} req/s, ${n(w.sockets)} sockets over ${n(w.symbols)} symbols (Zipf ${w.zipfExponent}, ${w.subscriptionsPerSocket} each, ${w.updatesPerSecondPerSymbol} batches/s), burst ×${w.burst}, ${n(w.backtestsPerHour)} backtests/h of ${n(w.barsPerBacktest)} bars, ${n(w.sweepsPerHour)} sweeps/h, ${n(w.predictionsPerSecond, 2)} predictions/s\n`,
);
console.log('seed formula (servers)');
console.log(
  table([
    ['totalRPS', 'concurrent', 'instances', 'memory GB', 'cores'],
    [
      n(r.seed.totalRPS, 2),
      n(r.seed.concurrentRequests, 2),
      n(r.seed.instancesNeeded),
      n(r.seed.memoryRequired),
      n(r.seed.cpuRequired),
    ],
  ]),
);
console.log('\nWorkers model: load against each limit (busiest object), highest first');
console.log(
  table([
    ['limit', 'load', 'limit', 'unit', 'utilization'],
    ...r.limits.map((c) => [c.id, n(c.load, 1), n(c.limit), c.unit, `${n(c.utilization * 100, 1)} %`]),
  ]),
);
console.log(
  `\nfirst limit: ${r.firstLimit.id} (${r.firstLimit.what}) at ${r.usersAtFirstLimit === null ? '—' : n(r.usersAtFirstLimit)} users\n  then: ${r.firstLimit.answer}`,
);
console.log(`already past: ${r.breaks.length ? r.breaks.join(', ') : 'nothing'}`);
console.log(
  `\nWorker ${n(r.worker.requestsPerSecond, 1)} req/s, ${n(r.worker.cpuMsPerSecond, 1)} CPU ms/s (${n(r.worker.busyIsolates, 2)} busy isolates); ${n(r.rooms.count)} rooms, ${n(r.gateways.count)} gateways; hot symbol ${n(r.gateways.hotSymbol.subscribers)} subscribers on ${n(r.gateways.hotSymbol.gatewaysSpread)} gateways (by symbol: ${n(r.gateways.hotSymbol.gatewaysAffine)}, tree fan-out ${r.gateways.hotSymbol.treeFanout}, depth ${r.gateways.hotSymbol.treeDepth}); queue ${n(r.queues.messagesPerSecond, 2)} msg/s; D1 primary ${n(r.d1.primaryQueriesPerSecond, 1)} q/s, replicas ${n(r.d1.replicaQueriesPerSecond, 1)} q/s; KV ${n(r.kv.readsPerSecond, 1)} reads/s`,
);
console.log(`\nmonthly cost (steady rate, prices of ${r.cost.pricesAsOf})`);
console.log(
  table([
    ['item', 'quantity', 'unit', 'USD'],
    ...r.cost.lines.map((l) => [l.item, n(l.quantity), l.unit, n(l.usd, 2)]),
    ['total', '', '', n(r.cost.monthlyUsd, 2)],
  ]),
);
console.log('\ncost and first limit against users');
console.log(
  table([
    ['users', 'sockets', 'USD/month', 'first limit', 'utilization'],
    ...curve.map((p) => [
      n(p.users),
      n(p.sockets),
      n(p.monthlyUsd, 2),
      p.firstLimit,
      `${n(p.utilization * 100, 1)} %`,
    ]),
  ]),
);
console.log('\ncalibration (engine/capacity/calibration.ts)');
for (const [k, f] of Object.entries(r.calibration))
  console.log(`  ${k}: ${n(f.value, 3)} ${f.unit} — ${f.command}, ${f.date} (${f.from})`);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

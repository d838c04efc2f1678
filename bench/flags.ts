/**
 * `npm run bench:flags`: the cost flag evaluation adds to a request. Both cases build a Request,
 * read its API key id and serialise a JSON answer (the shape of a small handler); the flagged case
 * also evaluates every flag of the catalogue for the key from an in-memory snapshot, as
 * /api/v1/flags does, and one flag as a gated route does. Medians of 5 runs after a warm-up,
 * with the spread, beside the baseline measured in the same run (../shared/BENCHMARKS.md).
 */
import { FLAGS, type FlagKey } from '../platform/flags/catalog';
import { FlagClient, type FlagSnapshot } from '../platform/flags/evaluate';

const N = 50_000;
const RUNS = 5;
const snapshot: FlagSnapshot = {
  states: new Map([
    ['backtests.sweeps', { enabled: true, variant: 'on', rollout: 30 }],
    ['backtests.execution', { enabled: true, variant: 'queued', rollout: 5 }],
  ]),
  envDefaults: {},
  source: 'd1',
  loadedAt: Date.now(),
};
const keys = Object.keys(FLAGS) as FlagKey[];

function request(i: number, evaluate: 'none' | 'one' | 'all'): string {
  const req = new Request('http://skippy.test/api/v1/backtests', {
    headers: { authorization: `Bearer k${i}` },
  });
  const keyId = `key_${(req.headers.get('authorization') ?? '').slice(7)}`;
  let body: unknown = { ok: true };
  if (evaluate !== 'none') {
    const flags = new FlagClient(snapshot, { targetingKey: keyId });
    body =
      evaluate === 'one'
        ? { ok: flags.getBooleanValue('backtests.sweeps', false) }
        : keys.map((k) => flags.getBooleanDetails(k, false).variant);
  }
  // Serialised, not wrapped in a Response: undrained Node Response streams pile up over 10^5 iterations.
  return JSON.stringify(body);
}

function nsPerRequest(mode: 'none' | 'one' | 'all'): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) request(i, mode);
  return Number(process.hrtime.bigint() - t) / N;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const m of ['none', 'one', 'all'] as const) nsPerRequest(m); // warm-up
const results: Record<string, number[]> = { none: [], one: [], all: [] };
for (let r = 0; r < RUNS; r++)
  for (const m of ['none', 'one', 'all'] as const) results[m]?.push(nsPerRequest(m));
const base = median(results.none ?? []);
for (const [m, xs] of Object.entries(results)) {
  const med = median(xs);
  const label =
    m === 'none'
      ? 'request without flags (baseline)'
      : m === 'one'
        ? 'request + 1 flag'
        : `request + all ${keys.length} flags`;
  console.log(
    `${label.padEnd(34)} median ${(med / 1000).toFixed(2)} µs  spread ${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)} µs  ` +
      `added ${((med - base) / 1000).toFixed(2)} µs  ratio ${(med / base).toFixed(2)}`,
  );
}

import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, json, makeKey, seedSymbols } from './helpers';

/**
 * Throws generated bad input at every operation of the OpenAPI document (so endpoints added later
 * are covered automatically) and requires a 4xx/2xx in the one error shape: never a 5xx.
 * Excluded: operations that deliberately change the platform's health (fault injection, room
 * restarts, the debug error route), which have their own tests.
 */
// Overridable from the shell (FUZZ_RUNS, FUZZ_ONLY) through the test bindings in vitest.workers.config.ts.
const RUNS = Number(env.FUZZ_RUNS || 1_000);
const CONCURRENCY = 16;
const HANG_MS = 15_000;
const ONLY = env.FUZZ_ONLY || undefined;
const EXCLUDED = /\/faults|\/debug\/|\/restart/;

interface Operation {
  method: string;
  path: string;
  queryNames: string[];
}

let key: string;
let operations: Operation[] = [];

beforeAll(async () => {
  await seedSymbols();
  key = await makeKey(['read', 'trade', 'ingest', 'admin']);
  const doc = await json<{
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
  }>(await api('/api/openapi.json'));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (EXCLUDED.test(path) || (ONLY && !path.includes(ONLY))) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        queryNames: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      });
    }
  }
  operations = operations.sort((a, b) => `${a.path}${a.method}`.localeCompare(`${b.path}${b.method}`));
});

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '1e309',
    'NaN',
    'null',
    '[]',
    '{}',
    '9'.repeat(40),
    '2024-13-45',
    '../../etc',
    '%00',
    'AAPL',
    'BTC-USD',
    '1d',
    '1m',
  ),
  fc.integer().map(String),
  fc.double().map(String),
);

const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc
    .record({ ticks: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }) })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      symbol: nasty,
      timeframe: nasty,
      bars: fc.anything({ maxDepth: 2 }),
      strategy: fc.anything({ maxDepth: 2 }),
    })
    .map((v) => JSON.stringify(v)),
  fc.constantFrom('Date,Open,High,Low,Close,Volume\n2020-01-01,1,2,0.5,1.5,-3', '{', '"', '\u0000', ''),
);

const contentType = fc.constantFrom(
  'application/json',
  'text/csv',
  'text/plain',
  'application/x-www-form-urlencoded',
  undefined,
);

function render(op: Operation, params: string[], query: Array<[string, string]>): string {
  let i = 0;
  const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++] ?? ''));
  const qs = new URLSearchParams(query).toString();
  return qs ? `${path}?${qs}` : path;
}

interface Case {
  params: string[];
  query: Array<[string, string]>;
  payload: string;
  type: string | undefined;
  auth: 'valid' | 'none' | 'garbage';
}

function cases(op: Operation): Case[] {
  const names = op.queryNames.length ? op.queryNames : ['x'];
  const arb = fc.record({
    params: fc.array(nasty, { minLength: 3, maxLength: 3 }),
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), nasty), {
      maxLength: 5,
    }),
    payload: body,
    type: contentType,
    auth: fc.constantFrom<Case['auth']>('valid', 'valid', 'none', 'garbage'),
  });
  // A fixed seed per operation: a failure names its input and reproduces on the next run.
  return fc.sample(arb, { numRuns: RUNS, seed: 20261124 + op.path.length * 31 + op.method.length });
}

async function send(op: Operation, c: Case): Promise<string | null> {
  const headers: Record<string, string> = {};
  if (c.type) headers['content-type'] = c.type;
  if (c.auth === 'garbage') headers.authorization = 'Bearer sk_garbage';
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const url = render(op, c.params, c.query);
  const res = await api(url, {
    method: op.method,
    headers,
    ...(c.auth === 'valid' ? { key } : {}),
    ...(hasBody ? { body: c.payload } : {}),
  });
  const text = await res.text();
  if (res.status >= 500)
    return `${op.method} ${url} → ${res.status}: ${text.slice(0, 300)} (body ${JSON.stringify(c.payload).slice(0, 200)})`;
  if (res.status >= 400 && res.status !== 426) {
    let parsed: { error?: { code?: unknown; message?: unknown; traceId?: unknown } } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      return `${op.method} ${url} → ${res.status} without a JSON error body`;
    }
    if (
      typeof parsed.error?.code !== 'string' ||
      typeof parsed.error?.message !== 'string' ||
      parsed.error?.traceId !== res.headers.get('x-trace-id')
    ) {
      return `${op.method} ${url} → ${res.status} not in the error shape: ${text.slice(0, 200)}`;
    }
  }
  return null;
}

/** A request that never answers is a failure too (a hang), reported with its input. */
async function withDeadline(op: Operation, c: Case): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          `${op.method} ${render(op, c.params, c.query)} hung (body ${JSON.stringify(c.payload).slice(0, 200)})`,
        ),
      HANG_MS,
    );
  });
  try {
    return await Promise.race([send(op, c), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('fuzzing every endpoint', () => {
  it('discovers the operations from the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(10);
  });

  it(`answers ${RUNS} generated bad inputs per endpoint without a 5xx, always in the error shape`, async () => {
    const failures: string[] = [];
    for (const op of operations) {
      const t0 = Date.now();
      const all = cases(op);
      if (env.FUZZ_PROFILE) console.log('gen', op.method, op.path, Date.now() - t0);
      // Several requests in flight: the Worker spends most of each request waiting on D1 or a Durable Object.
      for (let i = 0; i < all.length; i += CONCURRENCY) {
        const results = await Promise.all(all.slice(i, i + CONCURRENCY).map((c) => withDeadline(op, c)));
        for (const r of results) if (r && failures.length < 20) failures.push(r);
      }
      if (env.FUZZ_PROFILE) console.log('done', op.method, op.path, Date.now() - t0);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});

import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, json, makeKey, seedSymbols } from './helpers';

/**
 * Throws generated bad input at every operation of the OpenAPI document (so endpoints added later
 * are covered automatically) and requires a 4xx/2xx in the one error shape: never a 5xx.
 * Besides random strings and JSON, bodies are valid requests with one part replaced by something
 * hostile: nesting 1,000 and 50,000 deep, extreme numbers (1e308, 1e309, -0, 5e-324, 9e15, 2^53),
 * NaN-ish strings, huge strings and arrays, bodies over the size limit.
 * Excluded: operations that deliberately change the platform's health (fault injection, room
 * restarts, the debug error route), which have their own tests.
 */
// Overridable from the shell (FUZZ_RUNS, FUZZ_ONLY) through the test bindings in vitest.workers.config.ts.
const RUNS = Number(env.FUZZ_RUNS || 500);
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
    '1e308',
    '-1e308',
    '-0',
    '5e-324',
    '9e15',
    '9007199254740992',
    '9007199254740993',
    '8640000000000001',
    'Infinity',
    '-Infinity',
    '0x1F',
    '2100-01-02',
    '0050-01-01',
    '+275760-09-13',
    'x'.repeat(20_000),
  ),
  fc.integer().map(String),
  fc.double().map(String),
);

const randomBody = fc.oneof(
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

/** Raw JSON text tokens that replace one part of a valid body (numbers JSON.parse turns into ±∞, 0…). */
const deep = (open: string, leaf: string, close: string, n: number) =>
  open.repeat(n) + leaf + close.repeat(n);
const RULE_LEAF = '{"left":{"price":"close"},"op":">","right":1}';
const HOSTILE_TOKENS: readonly string[] = [
  '1e308',
  '-1e308',
  '1e309',
  '-1e309',
  '-0',
  '5e-324',
  '1e-400',
  '9e15',
  '-9e15',
  '9007199254740992',
  '9007199254740993',
  '8640000000000001',
  '0.5',
  '-1',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"1e309"',
  '"9e15"',
  '"-0"',
  '"0x1F"',
  '" 1"',
  '"2024-13-45"',
  '"\\u0000"',
  'null',
  'true',
  '[]',
  '{}',
  '""',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  deep('[', '', ']', 1_000),
  deep('[', '', ']', 50_000),
  deep('{"a":', '1', '}', 1_000),
  deep('{"a":', '1', '}', 50_000),
  deep('{"all":[', RULE_LEAF, ']}', 1_000),
  deep('{"any":[', RULE_LEAF, ']}', 50_000),
  JSON.stringify('x'.repeat(200_000)),
  JSON.stringify('\u{1F4A5}'.repeat(100_000)),
  `[${'1e308,'.repeat(50_000)}1]`,
  JSON.stringify('y'.repeat(1_200_000)),
];

const now = Date.now();
const bar = (i: number) => ({
  t: Date.UTC(2020, 0, 1) + i * 86_400_000,
  o: 10,
  h: 11,
  l: 9,
  c: 10.5,
  v: 100,
});
const rules = {
  long: {
    entry: {
      all: [
        {
          left: { indicator: 'sma', period: 5 },
          op: 'crossesAbove',
          right: { indicator: 'sma', period: 10 },
        },
      ],
    },
    exit: { left: { price: 'close' }, op: '<', right: { const: 5 } },
  },
};
/** Valid bodies per operation (`METHOD path`): mutating one part reaches deep validation and handlers. */
const TEMPLATES: Record<string, unknown[]> = {
  'POST /api/v1/backtests': [
    {
      data: { symbol: 'AAPL', timeframe: '1d', from: '2020-01-01', to: now },
      strategy: { name: 'sma-cross', params: { fast: 5, slow: 10 } },
    },
    {
      data: { bars: Array.from({ length: 30 }, (_, i) => bar(i)) },
      strategy: { rules },
      cash: 10_000,
      commission: { fixed: 1, relative: 0.001 },
    },
    {
      data: { bars: Array.from({ length: 5 }, (_, i) => bar(i)) },
      strategy: { name: 'rsi-reversion', params: { period: 3 } },
      size: { fraction: 0.5 },
      equityPoints: 10,
    },
  ],
  'POST /api/v1/backtests/sweeps': [
    {
      data: { symbol: 'AAPL', timeframe: '1d' },
      strategy: 'sma-cross',
      grid: { fast: [5, 10], slow: [20, 30] },
      rankBy: 'Sharpe Ratio',
    },
    {
      data: { bars: Array.from({ length: 5 }, (_, i) => bar(i)) },
      strategy: 'donchian-breakout',
      grid: { entryPeriod: [2, 3] },
    },
  ],
  'POST /api/v1/ingest/ticks': [
    { ticks: [{ type: 'trade', symbol: 'AAPL', sourceId: 'fz-1', ts: now, price: 100, size: 1 }] },
    {
      ticks: [
        {
          type: 'quote',
          symbol: 'MSFT',
          sourceId: 'fz-2',
          ts: now,
          bid: 99,
          bidSize: 1,
          ask: 101,
          askSize: 2,
        },
      ],
    },
  ],
  'POST /api/v1/ingest/bars': [
    {
      symbol: 'AAPL',
      timeframe: '1d',
      bars: [{ time: '2020-01-02', open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }],
    },
  ],
  'POST /api/v1/predictions': [{ symbols: ['AAPL', 'BTC-USD'], horizon: '1d' }],
  'POST /api/v1/admin/keys': [{ name: 'fuzz', scopes: ['read'], tier: 'standard' }],
  'POST /api/v1/stream/ticket': [{ ttlSeconds: 30 }],
};

/** Every path (object keys and array indexes) in a JSON value, the root excluded. */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

const MARK = '\u0000fuzz-mark\u0000';

/** The template with the part at `path` replaced by raw JSON text (or a key added beside it). */
function mutate(template: unknown, path: Array<string | number>, token: string, addKey: boolean): string {
  const copy = structuredClone(template) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (addKey && !Array.isArray(parent)) parent.__fuzz_unknown__ = MARK;
  else parent[last] = MARK;
  return JSON.stringify(copy).replace(JSON.stringify(MARK), token);
}

/** What a case sends as its body, rendered only when sent (some are megabytes). */
type BodySpec =
  | { kind: 'text'; text: string }
  | { kind: 'mutation'; template: number; at: number; token: number; addKey: boolean };

const bodySpec: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 1, arbitrary: randomBody.map((text): BodySpec => ({ kind: 'text', text })) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('mutation' as const),
      template: fc.nat(),
      at: fc.nat(),
      token: fc.nat({ max: HOSTILE_TOKENS.length - 1 }),
      addKey: fc.boolean(),
    }),
  },
);

function renderBody(op: Operation, spec: BodySpec): string {
  if (spec.kind === 'text') return spec.text;
  const templates = TEMPLATES[`${op.method} ${op.path.replace(/\/$/, '')}`] ?? [{}];
  const template = templates[spec.template % templates.length];
  const paths = pathsOf(template);
  const token = HOSTILE_TOKENS[spec.token]!;
  if (paths.length === 0) return token;
  return mutate(template, paths[spec.at % paths.length]!, token, spec.addKey);
}

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
  payload: BodySpec;
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
    payload: bodySpec,
    type: contentType,
    auth: fc.constantFrom<Case['auth']>('valid', 'valid', 'none', 'garbage'),
  });
  // A mutated valid body is JSON sent with a valid key, so that it gets past auth to validation.
  const shaped = arb.map((c) =>
    c.payload.kind === 'mutation' ? { ...c, type: 'application/json', auth: 'valid' as const } : c,
  );
  // A fixed seed per operation: a failure names its input and reproduces on the next run.
  return fc.sample(shaped, { numRuns: RUNS, seed: 20261124 + op.path.length * 31 + op.method.length });
}

/** What the run saw, for its summary line: inputs sent and answers by status class. */
const tally = { sent: 0, byClass: new Map<string, number>() };

async function send(op: Operation, c: Case): Promise<string | null> {
  const headers: Record<string, string> = {};
  if (c.type) headers['content-type'] = c.type;
  if (c.auth === 'garbage') headers.authorization = 'Bearer sk_garbage';
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const url = render(op, c.params, c.query);
  const payload = hasBody ? renderBody(op, c.payload) : '';
  tally.sent++;
  const res = await api(url, {
    method: op.method,
    headers,
    ...(c.auth === 'valid' ? { key } : {}),
    ...(hasBody ? { body: payload } : {}),
  });
  const text = await res.text();
  const statusClass = `${Math.floor(res.status / 100)}xx`;
  tally.byClass.set(statusClass, (tally.byClass.get(statusClass) ?? 0) + 1);
  if (res.status >= 500)
    return `${op.method} ${url} → ${res.status}: ${text.slice(0, 300)} (body ${JSON.stringify(payload.slice(0, 200))})`;
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
    // One line for the run's record: inputs tried and answers by status class (5xx must be 0).
    console.info(
      `fuzz: ${tally.sent} inputs over ${operations.length} operations`,
      Object.fromEntries(tally.byClass),
    );
    expect(failures).toEqual([]);
    expect(tally.byClass.get('5xx') ?? 0).toBe(0);
    expect(tally.sent).toBe(operations.length * RUNS);
  }, 600_000);
});

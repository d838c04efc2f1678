import { z } from '@hono/zod-openapi';
import { DEFAULT_WORKLOAD, type Workload } from '../../engine/capacity/workers-model';
import { WORKLOADS } from '../../engine/capacity/workloads';

/**
 * A number given as text (query string or command line), within bounds: a workload field that is
 * negative, not a number or absurd (more users than people, more bars than the API accepts) is a
 * 400 naming the field, never a model run on nonsense.
 */
const num = (min: number, max: number, fallback: number, description: string, int = false) =>
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'must be a decimal number')
    .transform(Number)
    .pipe(int ? z.number().int('must be a whole number').min(min).max(max) : z.number().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback)
    .openapi({ type: 'number', minimum: min, maximum: max, default: fallback, description });

const d = DEFAULT_WORKLOAD;

/** `GET /api/v1/capacity` query and `npm run capacity` flags (the same names). */
export const CapacityQuery = z
  .object({
    preset: z
      .enum(Object.keys(WORKLOADS) as [keyof typeof WORKLOADS, ...Array<keyof typeof WORKLOADS>])
      .optional()
      .openapi({ description: 'Start from a named workload (README "Capacity"); other fields override it.' }),
    users: num(0, 1e10, d.users, 'Concurrent REST clients.', true),
    rps: num(0, 1_000, d.requestsPerUserPerSecond, 'REST requests per user per second.'),
    mixQuotes: num(0, 1, d.routeMix.quotes, 'Share of requests that read quotes.'),
    mixBars: num(0, 1, d.routeMix.bars, 'Share of requests that read bars.'),
    mixSymbols: num(0, 1, d.routeMix.symbols, 'Share of requests that read the catalogue.'),
    cacheHitRatio: num(0, 1, d.cacheHitRatio, 'Share of market-data reads served from memory or KV.'),
    sockets: num(0, 1e10, d.sockets, 'Open WebSocket clients.', true),
    symbols: num(1, 100_000, d.symbols, 'Symbols streamed (Zipf popularity).', true),
    zipf: num(0, 5, d.zipfExponent, 'Zipf exponent of symbol popularity (0: uniform).'),
    subscriptions: num(1, 1_000, d.subscriptionsPerSocket, 'Symbols per socket.', true),
    updates: num(0, 1_000, d.updatesPerSecondPerSymbol, 'Batches per symbol per second.'),
    burst: num(1, 1_000, d.burst, 'Multiplier on every rate (market open: 10).'),
    backtestsPerHour: num(0, 1e9, d.backtestsPerHour, 'Backtests submitted per hour.'),
    barsPerBacktest: num(1, 100_000_000, d.barsPerBacktest, 'Bars per backtest run.', true),
    sweepsPerHour: num(0, 1e7, d.sweepsPerHour, 'Parameter sweeps per hour.'),
    combinations: num(1, 500, d.combinationsPerSweep, 'Combinations per sweep (the API allows 500).', true),
    predictionsPerSecond: num(0, 1e8, d.predictionsPerSecond, 'Prediction requests per second.'),
    avgResponseTimeMs: num(0, 600_000, d.avgResponseTimeMs, 'The seed formula’s average response time, ms.'),
    hoursPerDay: num(0, 24, d.hoursPerDay, 'Hours a day the load runs (monthly cost).'),
    socketsPerGateway: num(1, 32_000, d.socketsPerGateway, 'STREAM_SOCKETS_PER_GATEWAY.', true),
    maxConcurrency: num(1, 250, d.consumerMaxConcurrency, 'Queue consumer max_concurrency.', true),
    placement: z.enum(['spread', 'symbol']).optional().openapi({
      description:
        '`spread` (as built: spill-over by arrival) or `symbol` (each subscription on a gateway of its symbol, docs/scaling.md).',
    }),
    readReplication: z
      .enum(['true', 'false'])
      .optional()
      .openapi({ description: 'Session reads may use D1 read replicas (default true).' }),
  })
  .superRefine((q, ctx) => {
    if (q.mixQuotes + q.mixBars + q.mixSymbols <= 0)
      ctx.addIssue({
        code: 'custom',
        path: ['mixQuotes'],
        message: 'the route mix must have a positive share',
      });
  });
export type CapacityQuery = z.infer<typeof CapacityQuery>;

/**
 * The workload a query describes: the preset (or the defaults), with every field the query gives
 * explicitly on top. `given` lists the fields present in the raw query.
 */
export function workloadFromQuery(q: CapacityQuery, given: ReadonlySet<string>): Workload {
  const base: Workload = q.preset ? WORKLOADS[q.preset] : DEFAULT_WORKLOAD;
  const pick = <T>(field: string, value: T, fallback: T): T => (given.has(field) ? value : fallback);
  return {
    ...base,
    users: pick('users', q.users, base.users),
    requestsPerUserPerSecond: pick('rps', q.rps, base.requestsPerUserPerSecond),
    routeMix: {
      quotes: pick('mixQuotes', q.mixQuotes, base.routeMix.quotes),
      bars: pick('mixBars', q.mixBars, base.routeMix.bars),
      symbols: pick('mixSymbols', q.mixSymbols, base.routeMix.symbols),
    },
    cacheHitRatio: pick('cacheHitRatio', q.cacheHitRatio, base.cacheHitRatio),
    sockets: pick('sockets', q.sockets, base.sockets),
    symbols: pick('symbols', q.symbols, base.symbols),
    zipfExponent: pick('zipf', q.zipf, base.zipfExponent),
    subscriptionsPerSocket: pick('subscriptions', q.subscriptions, base.subscriptionsPerSocket),
    updatesPerSecondPerSymbol: pick('updates', q.updates, base.updatesPerSecondPerSymbol),
    burst: pick('burst', q.burst, base.burst),
    backtestsPerHour: pick('backtestsPerHour', q.backtestsPerHour, base.backtestsPerHour),
    barsPerBacktest: pick('barsPerBacktest', q.barsPerBacktest, base.barsPerBacktest),
    sweepsPerHour: pick('sweepsPerHour', q.sweepsPerHour, base.sweepsPerHour),
    combinationsPerSweep: pick('combinations', q.combinations, base.combinationsPerSweep),
    predictionsPerSecond: pick('predictionsPerSecond', q.predictionsPerSecond, base.predictionsPerSecond),
    avgResponseTimeMs: pick('avgResponseTimeMs', q.avgResponseTimeMs, base.avgResponseTimeMs),
    hoursPerDay: pick('hoursPerDay', q.hoursPerDay, base.hoursPerDay),
    socketsPerGateway: pick('socketsPerGateway', q.socketsPerGateway, base.socketsPerGateway),
    consumerMaxConcurrency: pick('maxConcurrency', q.maxConcurrency, base.consumerMaxConcurrency),
    readReplication: q.readReplication === undefined ? base.readReplication : q.readReplication === 'true',
    placement: q.placement ?? base.placement,
  };
}

const Figure = z.object({
  value: z.number(),
  unit: z.string(),
  command: z.string(),
  date: z.string(),
  source: z.string(),
  from: z.enum(['bench-results', 'documented']),
});

export const LimitCheck = z
  .object({
    id: z.string().openapi({ example: 'd1.primary' }),
    component: z.enum(['worker', 'room', 'gateway', 'queue', 'd1', 'kv']),
    what: z.string(),
    load: z.number(),
    limit: z.number(),
    unit: z.string(),
    utilization: z.number().openapi({ description: 'load / limit; 1 means the limit is reached.' }),
    answer: z
      .string()
      .openapi({ description: 'What the platform does there, and what an operator configures.' }),
  })
  .openapi('CapacityLimit');

export const CapacityResponse = z
  .object({
    workload: z.record(z.string(), z.unknown()),
    seed: z.object({
      totalRPS: z.number(),
      concurrentRequests: z.number(),
      instancesNeeded: z.number(),
      memoryRequired: z.number(),
      cpuRequired: z.number(),
    }),
    worker: z.object({ requestsPerSecond: z.number(), cpuMsPerSecond: z.number(), busyIsolates: z.number() }),
    rooms: z.object({
      count: z.number(),
      hottestSymbolShare: z.number(),
      busiestRequestsPerSecond: z.number(),
      busiestPushesPerSecond: z.number(),
    }),
    gateways: z.object({
      count: z.number(),
      socketsPerGateway: z.number(),
      busiestSendsPerSecond: z.number(),
      busiestPushesInPerSecond: z.number(),
      symbolsPerGateway: z.number(),
      hotSymbol: z.object({
        subscribers: z.number(),
        gatewaysSpread: z.number(),
        gatewaysAffine: z.number(),
        treeFanout: z.number(),
        treeDepth: z.number(),
      }),
    }),
    queues: z.object({
      messagesPerSecond: z.number(),
      consumerSecondsPerMessage: z.number(),
      concurrentConsumers: z.number(),
      maxConcurrency: z.number(),
    }),
    d1: z.object({
      primaryQueriesPerSecond: z.number(),
      replicaQueriesPerSecond: z.number(),
      writesPerSecond: z.number(),
      rowsReadPerSecond: z.number(),
      rowsWrittenPerSecond: z.number(),
    }),
    kv: z.object({ readsPerSecond: z.number(), writesPerSecond: z.number() }),
    cost: z.object({
      monthlyUsd: z.number(),
      lines: z.array(z.object({ item: z.string(), quantity: z.number(), unit: z.string(), usd: z.number() })),
      pricesAsOf: z.string(),
      limitsAsOf: z.string(),
    }),
    limits: z.array(LimitCheck),
    firstLimit: LimitCheck,
    usersAtFirstLimit: z.number().nullable().openapi({ description: 'null when no limit is loaded at all.' }),
    breaks: z.array(z.string()),
    calibration: z.record(z.string(), Figure),
    curve: z.array(
      z.object({
        users: z.number(),
        sockets: z.number(),
        monthlyUsd: z.number(),
        firstLimit: z.string(),
        utilization: z.number(),
      }),
    ),
  })
  .openapi('Capacity');
export type CapacityResponse = z.infer<typeof CapacityResponse>;

import { CALIBRATION, type Calibration } from './calibration';
import { LIMITS, type PlatformLimits, PRICES, type PriceTable } from './price-table';
import { estimateCapacity, type SeedCapacity } from './seed-formula';
import { expectedDistinct, zipfShares } from './zipf';

/**
 * A workload in the platform's own terms. Rates are steady-state; `burst` multiplies every rate
 * (a market-open burst of 10× is `burst: 10`). Shares and ratios are in [0, 1].
 */
export interface Workload {
  /** Concurrent REST clients. */
  users: number;
  /** REST requests per user per second (market data). */
  requestsPerUserPerSecond: number;
  /** Route mix of those requests; normalised to sum to 1. */
  routeMix: { quotes: number; bars: number; symbols: number };
  /** Share of market-data reads answered from the isolate's memory or KV instead of D1/rooms. */
  cacheHitRatio: number;
  /** Of those cache hits, the share that comes from KV (the rest from isolate memory). */
  kvShareOfHits: number;
  /** Open WebSocket clients. */
  sockets: number;
  /** Symbols subscribed to (popularity Zipf with exponent `zipfExponent`). */
  symbols: number;
  zipfExponent: number;
  /** Symbols each socket subscribes to. */
  subscriptionsPerSocket: number;
  /** Batches a symbol's room publishes per second (ticks merge into batches). */
  updatesPerSecondPerSymbol: number;
  burst: number;
  backtestsPerHour: number;
  barsPerBacktest: number;
  sweepsPerHour: number;
  combinationsPerSweep: number;
  predictionsPerSecond: number;
  /** The seed formula's input: average response time in ms. */
  avgResponseTimeMs: number;
  /** Hours a day the load runs (cost). */
  hoursPerDay: number;
  /** Deployment settings the operator chooses. */
  socketsPerGateway: number;
  inlineBacktestMaxBars: number;
  consumerMaxConcurrency: number;
  readReplication: boolean;
  /**
   * How sockets land on gateways: `spread` is what the code does (spill-over by arrival, a socket
   * carries all its symbols); `symbol` places each subscription on a gateway of its symbol
   * (the shard tree of docs/scaling.md), not built yet.
   */
  placement: 'spread' | 'symbol';
}

export const DEFAULT_WORKLOAD: Workload = {
  users: 100,
  requestsPerUserPerSecond: 0.2,
  routeMix: { quotes: 0.5, bars: 0.4, symbols: 0.1 },
  cacheHitRatio: 0.9,
  kvShareOfHits: 0.3,
  sockets: 100,
  symbols: 11,
  zipfExponent: 1,
  subscriptionsPerSocket: 3,
  updatesPerSecondPerSymbol: 2,
  burst: 1,
  backtestsPerHour: 10,
  barsPerBacktest: 2_520,
  sweepsPerHour: 0,
  combinationsPerSweep: 100,
  predictionsPerSecond: 0.1,
  avgResponseTimeMs: 100,
  hoursPerDay: 24,
  socketsPerGateway: 2_500,
  inlineBacktestMaxBars: 50_000,
  consumerMaxConcurrency: 250,
  readReplication: true,
  placement: 'spread',
};

export type Component = 'worker' | 'room' | 'gateway' | 'queue' | 'd1' | 'kv';

/** One limit checked against its load; utilization 1 means the limit is reached. */
export interface LimitCheck {
  id: string;
  component: Component;
  what: string;
  load: number;
  limit: number;
  unit: string;
  utilization: number;
  /** What the platform does when this limit is reached, and whether an operator must act. */
  answer: string;
}

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CapacityReport {
  workload: Workload;
  seed: SeedCapacity;
  worker: {
    requestsPerSecond: number;
    cpuMsPerSecond: number;
    /** CPU-seconds per second: the cores' worth of isolates Cloudflare runs (it scales them itself). */
    busyIsolates: number;
  };
  rooms: {
    count: number;
    hottestSymbolShare: number;
    busiestRequestsPerSecond: number;
    busiestPushesPerSecond: number;
  };
  gateways: {
    count: number;
    socketsPerGateway: number;
    busiestSendsPerSecond: number;
    busiestPushesInPerSecond: number;
    symbolsPerGateway: number;
    hotSymbol: {
      subscribers: number;
      /** Gateways holding its subscribers when sockets land on gateways regardless of symbol. */
      gatewaysSpread: number;
      /** Gateways it needs when sockets are placed by symbol (the shard tree's leaves). */
      gatewaysAffine: number;
      /** Children per relay so that no node pushes more than the object request ceiling. */
      treeFanout: number;
      /** Relay levels between the room and its gateways (0: the room pushes to every gateway). */
      treeDepth: number;
    };
  };
  queues: {
    messagesPerSecond: number;
    consumerSecondsPerMessage: number;
    concurrentConsumers: number;
    maxConcurrency: number;
  };
  d1: {
    primaryQueriesPerSecond: number;
    replicaQueriesPerSecond: number;
    writesPerSecond: number;
    rowsReadPerSecond: number;
    rowsWrittenPerSecond: number;
  };
  kv: { readsPerSecond: number; writesPerSecond: number };
  /** Monthly cost at the steady rate (burst excluded), from the dated price table. */
  cost: { monthlyUsd: number; lines: CostLine[]; pricesAsOf: string; limitsAsOf: string };
  limits: LimitCheck[];
  /** The limit the workload reaches first as it grows (highest utilization). */
  firstLimit: LimitCheck;
  /** Users (and sockets, scaled alike) at which `firstLimit` is reached; null if nothing is loaded. */
  usersAtFirstLimit: number | null;
  /** Every limit this workload is already past. */
  breaks: string[];
  calibration: Calibration;
}

/** Rows a cold bars read returns (bench:api reads 500). */
const ROWS_PER_BARS_READ = 500;
/** Catalogue rows a symbols listing reads. */
const ROWS_PER_SYMBOLS_READ = 11;
/** Statements a room's minute flush writes (1m bar, the day's bar, the quote). */
const WRITES_PER_ROOM_FLUSH = 3;
/** D1 statements per queued run (lease, result, status). */
const WRITES_PER_QUEUED_RUN = 3;
/** Days in a billing month. */
const DAYS_PER_MONTH = 30;

/**
 * The Workers-native capacity model: no servers to size; instead the load each part of the
 * platform sees against its own limit. Isolates scale by themselves, so the Worker has no
 * ceiling here, only CPU (cost); single-threaded objects (rooms, gateways), one D1 primary and
 * the queues' limits do have ceilings, and the busiest object, not the average, is what breaks.
 */
export function workersCapacity(
  input: Workload,
  calibration: Calibration = CALIBRATION,
  prices: PriceTable = PRICES,
  limits: PlatformLimits = LIMITS,
): CapacityReport {
  const w = normalise(input);
  const b = w.burst;
  const cal = calibration;

  // --- Worker: REST market data, predictions, backtest submissions.
  const rest = w.users * w.requestsPerUserPerSecond * b;
  const quotes = rest * w.routeMix.quotes;
  const barsReq = rest * w.routeMix.bars;
  const symbolsReq = rest * w.routeMix.symbols;
  const hit = w.cacheHitRatio;
  const predictions = w.predictionsPerSecond * b;
  const backtests = (w.backtestsPerHour * b) / 3600;
  const sweeps = (w.sweepsPerHour * b) / 3600;
  const inline = w.barsPerBacktest <= w.inlineBacktestMaxBars;
  const inlineBacktests = inline ? backtests : 0;
  const queuedBacktests = inline ? 0 : backtests;
  const apiRequests = rest + predictions + backtests + sweeps;
  const cpuMs =
    (quotes + barsReq + symbolsReq) * hit * cal.requestMsCachedRead.value +
    quotes * (1 - hit) * cal.requestMsColdQuote.value +
    (barsReq + symbolsReq) * (1 - hit) * cal.requestMsColdBars.value +
    predictions * cal.requestMsCachedRead.value +
    inlineBacktests *
      (cal.requestMsInlineBacktest.value + (w.barsPerBacktest / cal.engineBarsPerSecond.value) * 1000) +
    (queuedBacktests + sweeps) * cal.requestMsHealth.value;

  // --- Rooms: one per symbol; the hottest gets the largest share of subscribers and quote reads.
  const shares = zipfShares(Math.max(1, w.symbols), w.zipfExponent);
  const top = shares[0] ?? 1;
  const batches = w.updatesPerSecondPerSymbol * b;
  const fan = w.placement === 'symbol' ? bySymbol(w, shares, batches) : spread(w, shares, batches);
  const { gatewayCount, busiestSends, symbolsPerGateway, pushesIn, roomPushes, totalPushes } = fan;
  const hotSubscribers = Math.min(w.sockets, w.sockets * w.subscriptionsPerSocket * top);
  const gatewaysSpread = fan.hotGateways;
  const gatewaysAffine = Math.ceil(hotSubscribers / w.socketsPerGateway);
  const roomRequests = batches + quotes * (1 - hit) * top;
  const objectCeiling = limits.durableObjects.requestsPerSecondPerObject;
  // A relay tree per symbol: each node pushes to at most `treeFanout` children per batch.
  const treeFanout =
    batches > 0 ? Math.max(2, Math.floor(objectCeiling / batches)) : Number.POSITIVE_INFINITY;
  const treeDepth =
    gatewaysAffine <= treeFanout ? 0 : Math.ceil(Math.log(gatewaysAffine) / Math.log(treeFanout)) - 1;

  // --- Queues: runs over the inline limit and every sweep combination are messages.
  const messages = queuedBacktests + sweeps * w.combinationsPerSweep;
  const secondsPerMessage = w.barsPerBacktest / cal.engineBarsPerSecond.value;
  const concurrentConsumers = messages * secondsPerMessage;

  // --- D1: every authenticated request looks its key up on the primary; session reads may go to
  // replicas; writes (room flushes, job rows) always go to the primary.
  const authLookups = apiRequests;
  // Live quotes come from the room (counted there); bars and the catalogue from D1.
  const coldReads = (barsReq + symbolsReq) * (1 - hit);
  const writes = (w.symbols * WRITES_PER_ROOM_FLUSH) / 60 + messages * WRITES_PER_QUEUED_RUN + backtests;
  const replicaReads = w.readReplication ? coldReads : 0;
  const primaryQueries = authLookups + writes + (w.readReplication ? 0 : coldReads);
  const rowsRead =
    authLookups +
    barsReq * (1 - hit) * ROWS_PER_BARS_READ +
    symbolsReq * (1 - hit) * ROWS_PER_SYMBOLS_READ +
    inlineBacktests * w.barsPerBacktest +
    messages * w.barsPerBacktest;
  const rowsWritten = writes;

  // --- KV: cache hits not in isolate memory, and a write for every refresh from the source.
  const kvReads = (quotes + barsReq + symbolsReq) * hit * w.kvShareOfHits;
  const kvWrites = coldReads;

  const checks: LimitCheck[] = [
    check(
      'room.requests',
      'room',
      'requests/s into the hottest symbol’s room (ingest batches, cold quote reads)',
      roomRequests,
      objectCeiling,
      'req/s',
      'Nothing automatic: a room is one object per symbol. Ingest must be split per symbol upstream (it already is) and quote reads served from caches.',
    ),
    check(
      'room.pushes',
      'room',
      'pushes/s out of the hottest room to gateways (one per gateway per batch)',
      roomPushes,
      objectCeiling,
      'push/s',
      `A shard tree per symbol: relay objects of ${Number.isFinite(treeFanout) ? treeFanout : '∞'} children each between the room and its gateways (${treeDepth} relay level(s)); placing sockets on gateways by symbol cuts the gateways to ${gatewaysAffine}. Not built yet: the room pushes to every gateway directly.`,
    ),
    check(
      'gateway.sends',
      'gateway',
      'WebSocket sends/s of the busiest gateway',
      busiestSends,
      cal.fanoutSendsPerSecondPerObject.value,
      'send/s',
      'Gateway spill-over: lower STREAM_SOCKETS_PER_GATEWAY (wrangler.toml [vars]) so each shard holds fewer sockets; conflation keeps slow sockets from queuing meanwhile.',
    ),
    check(
      'gateway.pushes',
      'gateway',
      'room pushes/s into the busiest gateway (one per carried symbol per batch)',
      pushesIn,
      objectCeiling,
      'req/s',
      'Place sockets by symbol (affinity) so a gateway carries few symbols; batches already merge while one push is pending, so past this a gateway falls behind by conflating, not by failing.',
    ),
    check(
      'queue.throughput',
      'queue',
      'messages/s into the backtests queue',
      messages,
      limits.queues.messagesPerSecondPerQueue,
      'msg/s',
      'Send fails with Too Many Requests past the per-queue limit: shard the queue (several queues, consumers keyed by base name) or put several combinations in one message.',
    ),
    check(
      'queue.consumers',
      'queue',
      'concurrent consumer invocations needed (messages/s × seconds each)',
      concurrentConsumers,
      Math.min(w.consumerMaxConcurrency, limits.queues.concurrentConsumerInvocations),
      'consumers',
      'Consumers scale out on their own up to max_concurrency ([[queues.consumers]] in wrangler.toml; unset = the platform maximum); past it the backlog grows.',
    ),
    check(
      'd1.primary',
      'd1',
      'queries/s on the D1 primary (key lookups, writes, and reads without replication)',
      primaryQueries,
      1000 / limits.d1.primaryQueryMs,
      'query/s',
      'One primary, single-threaded: nothing scales it. Move reads to replicas (Sessions API), cache key lookups, batch writes; past this requests queue and then fail as D1 overloaded.',
    ),
    check(
      'd1.replicas',
      'd1',
      'session reads/s per D1 read replica',
      w.readReplication ? replicaReads / limits.d1.readReplicas : 0,
      1000 / limits.d1.primaryQueryMs,
      'query/s',
      'Cloudflare adds replicas per region by itself (no setting); reads beyond them wait like primary reads.',
    ),
  ];
  checks.sort((a, b2) => b2.utilization - a.utilization);
  const firstLimit = checks[0]!;

  // A month is billed at the steady rate: the burst is minutes a day, not the month.
  const seconds = DAYS_PER_MONTH * w.hoursPerDay * 3600;
  const steady = b === 1 ? null : workersCapacity({ ...w, burst: 1 }, calibration, prices, limits);
  const lines = steady
    ? steady.cost.lines
    : costLines(prices, seconds, {
        workerRequests: apiRequests,
        workerCpuMs: cpuMs,
        // Every room's batches, cold quote reads, and one push per carried symbol into every gateway.
        doRequests: batches * w.symbols + quotes * (1 - hit) + totalPushes,
        doActiveObjects: (batches > 0 ? w.symbols : 0) + gatewayCount,
        queueMessages: messages,
        d1RowsRead: rowsRead,
        d1RowsWritten: rowsWritten,
        kvReads,
        kvWrites,
      });

  return {
    workload: w,
    seed: estimateCapacity(w.users, w.requestsPerUserPerSecond, w.avgResponseTimeMs),
    worker: { requestsPerSecond: apiRequests, cpuMsPerSecond: cpuMs, busyIsolates: cpuMs / 1000 },
    rooms: {
      count: w.symbols,
      hottestSymbolShare: top,
      busiestRequestsPerSecond: roomRequests,
      busiestPushesPerSecond: roomPushes,
    },
    gateways: {
      count: gatewayCount,
      socketsPerGateway: w.socketsPerGateway,
      busiestSendsPerSecond: busiestSends,
      busiestPushesInPerSecond: pushesIn,
      symbolsPerGateway,
      hotSymbol: {
        subscribers: hotSubscribers,
        gatewaysSpread,
        gatewaysAffine,
        treeFanout: Number.isFinite(treeFanout) ? treeFanout : 0,
        treeDepth,
      },
    },
    queues: {
      messagesPerSecond: messages,
      consumerSecondsPerMessage: secondsPerMessage,
      concurrentConsumers,
      maxConcurrency: w.consumerMaxConcurrency,
    },
    d1: {
      primaryQueriesPerSecond: primaryQueries,
      replicaQueriesPerSecond: replicaReads,
      writesPerSecond: writes,
      rowsReadPerSecond: rowsRead,
      rowsWrittenPerSecond: rowsWritten,
    },
    kv: { readsPerSecond: kvReads, writesPerSecond: kvWrites },
    cost: {
      monthlyUsd: round2(lines.reduce((s, l) => s + l.usd, 0)),
      lines,
      pricesAsOf: prices.asOf,
      limitsAsOf: limits.asOf,
    },
    limits: checks,
    firstLimit,
    usersAtFirstLimit: firstLimit.utilization > 0 ? w.users / firstLimit.utilization : null,
    breaks: checks.filter((c) => c.utilization >= 1).map((c) => c.id),
    calibration,
  };
}

/** The same workload with users and sockets scaled by each factor: cost and first limit per point. */
export function capacityCurve(
  input: Workload,
  factors: readonly number[] = [0.01, 0.1, 0.3, 1, 3, 10, 30, 100],
): Array<{ users: number; sockets: number; monthlyUsd: number; firstLimit: string; utilization: number }> {
  return factors.map((f) => {
    const r = workersCapacity({ ...input, users: input.users * f, sockets: Math.round(input.sockets * f) });
    return {
      users: r.workload.users,
      sockets: r.workload.sockets,
      monthlyUsd: r.cost.monthlyUsd,
      firstLimit: r.firstLimit.id,
      utilization: r.firstLimit.utilization,
    };
  });
}

interface FanOut {
  gatewayCount: number;
  busiestSends: number;
  symbolsPerGateway: number;
  pushesIn: number;
  /** Pushes per second out of the hottest room. */
  roomPushes: number;
  /** Pushes per second from every room into every gateway. */
  totalPushes: number;
  /** Gateways that hold the hottest symbol's subscribers. */
  hotGateways: number;
}

/**
 * Spill-over by arrival (as built): a gateway carries every symbol one of its sockets wants, so
 * the hot room pushes to nearly every gateway and each gateway receives nearly every symbol.
 */
function spread(w: Workload, shares: Float64Array, batches: number): FanOut {
  const gatewayCount = w.sockets > 0 ? Math.ceil(w.sockets / w.socketsPerGateway) : 0;
  const perGateway = gatewayCount > 0 ? w.sockets / gatewayCount : 0;
  const subsPerGateway = perGateway * w.subscriptionsPerSocket;
  const top = shares[0] ?? 1;
  const pHot = 1 - Math.exp(subsPerGateway * Math.log1p(-Math.min(top, 1 - 1e-15)));
  const symbolsPerGateway = gatewayCount > 0 ? expectedDistinct(shares, subsPerGateway) : 0;
  const pushesIn = symbolsPerGateway * batches;
  return {
    gatewayCount,
    busiestSends: perGateway * w.subscriptionsPerSocket * batches,
    symbolsPerGateway,
    pushesIn,
    roomPushes: batches * gatewayCount * pHot,
    totalPushes: pushesIn * gatewayCount,
    hotGateways: gatewayCount * pHot,
  };
}

/**
 * Placement by symbol: a symbol's subscriptions fill gateways of their own; the remainders of
 * every symbol share tail gateways. One push per batch per gateway the symbol uses.
 */
function bySymbol(w: Workload, shares: Float64Array, batches: number): FanOut {
  const spg = w.socketsPerGateway;
  const total = w.sockets * w.subscriptionsPerSocket;
  let dedicated = 0;
  let tailSubs = 0;
  let tailSymbols = 0;
  let hotDedicated = 0;
  shares.forEach((p, i) => {
    const subs = total * p;
    const full = Math.floor(subs / spg);
    dedicated += full;
    if (i === 0) hotDedicated = full;
    const rest = subs - full * spg;
    if (rest > 0) {
      tailSubs += rest;
      tailSymbols += 1;
    }
  });
  const tailGateways = total > 0 ? Math.ceil(tailSubs / spg) : 0;
  const symbolsPerTail = tailGateways > 0 ? tailSymbols / tailGateways : 0;
  const hotGateways = total > 0 ? hotDedicated + ((shares[0] ?? 0) * total > hotDedicated * spg ? 1 : 0) : 0;
  return {
    gatewayCount: dedicated + tailGateways,
    busiestSends: total > 0 ? Math.min(spg, total) * batches : 0,
    symbolsPerGateway: Math.max(total > 0 ? 1 : 0, symbolsPerTail),
    pushesIn: Math.max(total > 0 ? batches : 0, symbolsPerTail * batches),
    roomPushes: batches * hotGateways,
    totalPushes: batches * (dedicated + tailSymbols),
    hotGateways,
  };
}

function normalise(w: Workload): Workload {
  const mix = w.routeMix;
  const sum = mix.quotes + mix.bars + mix.symbols;
  return {
    ...w,
    routeMix:
      sum > 0
        ? { quotes: mix.quotes / sum, bars: mix.bars / sum, symbols: mix.symbols / sum }
        : { quotes: 0, bars: 0, symbols: 0 },
  };
}

function check(
  id: string,
  component: Component,
  what: string,
  load: number,
  limit: number,
  unit: string,
  answer: string,
): LimitCheck {
  return { id, component, what, load, limit, unit, utilization: limit > 0 ? load / limit : 0, answer };
}

interface MonthlyRates {
  workerRequests: number;
  workerCpuMs: number;
  doRequests: number;
  doActiveObjects: number;
  queueMessages: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  kvReads: number;
  kvWrites: number;
}

/** Per-second rates × seconds a month, less what the plan includes, × the dated prices. */
function costLines(p: PriceTable, seconds: number, r: MonthlyRates): CostLine[] {
  /** A metered line: the month's quantity, less what the plan includes, at a price per million. */
  const metered = (item: string, unit: string, quantity: number, included: number, perMillion: number) => ({
    item,
    quantity,
    unit,
    usd: round2((Math.max(0, quantity - included) / 1e6) * perMillion),
  });
  const m = (rate: number) => rate * seconds;
  const doGbS = r.doActiveObjects * seconds * p.durableObjects.gbPerObject;
  const { workers: w, durableObjects: o, queues: q, d1, kv } = p;
  return [
    { item: 'Workers Paid plan', quantity: 1, unit: 'month', usd: w.baseMonthly },
    metered('Worker requests', 'requests', m(r.workerRequests), w.includedRequests, w.perMillionRequests),
    metered('Worker CPU', 'CPU ms', m(r.workerCpuMs), w.includedCpuMs, w.perMillionCpuMs),
    metered('Durable Object requests', 'requests', m(r.doRequests), o.includedRequests, o.perMillionRequests),
    // Rooms receive batches and gateways receive pushes every second: neither hibernates while
    // the market moves, so both are billed for wall time at 128 MB.
    metered('Durable Object duration', 'GB-s', doGbS, o.includedGbSeconds, o.perMillionGbSeconds),
    metered(
      'Queue operations',
      'operations',
      m(r.queueMessages) * q.operationsPerMessage,
      q.includedOperations,
      q.perMillionOperations,
    ),
    metered('D1 rows read', 'rows', m(r.d1RowsRead), d1.includedRowsRead, d1.perMillionRowsRead),
    metered('D1 rows written', 'rows', m(r.d1RowsWritten), d1.includedRowsWritten, d1.perMillionRowsWritten),
    metered('KV reads', 'reads', m(r.kvReads), kv.includedReads, kv.perMillionReads),
    metered('KV writes', 'writes', m(r.kvWrites), kv.includedWrites, kv.perMillionWrites),
  ];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

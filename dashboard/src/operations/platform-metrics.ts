import { type Exposition, histogramQuantile, type Sample } from '../../../platform/metrics/prometheus-text';
import { sloFor } from './slo';

export interface RouteLatency {
  route: string;
  count: number;
  p95Ms: number | null;
  sloMs: number;
}

/** What the operations view shows, derived from one or two scrapes of `/metrics`. */
export interface OpsSummary {
  /** Requests per second between the two scrapes; null on the first scrape. */
  requestRate: number | null;
  totalRequests: number | null;
  /** Share of 5xx responses between the scrapes (since start on the first one). */
  errorRate: number | null;
  routes: RouteLatency[];
  wsConnections: number | null;
  queues: Array<{ queue: string; depth: number }>;
  /** Share of requests refused by load shedding between the scrapes (since start on the first). */
  shedRate: number | null;
  /** The tightest isolate's load-shed limit (below its maximum while the adaptive limit shrank). */
  shedLimit: number | null;
}

const ROUTE_LABELS = ['route', 'path', 'handler', 'endpoint'];
const STATUS_LABELS = ['status_class', 'status', 'code', 'status_code'];

const labelOf = (s: Sample, names: string[]) => names.map((n) => s.labels[n]).find((v) => v !== undefined);

/**
 * One metric family, chosen by name: the first that passes `prefer` and `test`, else the first
 * that passes `test`. Names follow the platform's `skippy_*` families (platform/metrics/families.ts),
 * but the match is loose so that a renamed or prefixed metric still shows.
 */
function family(
  exp: Exposition,
  test: (name: string) => boolean,
  prefer: (name: string) => boolean = test,
): Sample[] {
  const name =
    exp.samples.find((s) => prefer(s.name) && test(s.name))?.name ??
    exp.samples.find((s) => test(s.name))?.name;
  return name ? exp.samples.filter((s) => s.name === name) : [];
}

const isHttp = (n: string) => /http/.test(n);
const isRequestCounter = (n: string) =>
  /requests?_total$/.test(n) && !/ws|websocket|agent|queue|backtest|cache/.test(n);
const isLatencyBucket = (n: string) =>
  /_bucket$/.test(n) && /(duration|latency)/.test(n) && /(http|request)/.test(n);
const isWsGauge = (n: string) =>
  /(websocket|ws)_?.*(connections|sockets|clients)(?!_total)/.test(n) && !/_total$/.test(n);
const isQueueDepth = (n: string) =>
  /queue/.test(n) &&
  /(depth|backlog|pending|size|messages_waiting)/.test(n) &&
  !/_total$|_bucket$|_sum$|_count$/.test(n);

function requestTotals(exp: Exposition): { total: number; errors: number } | null {
  const samples = family(exp, isRequestCounter, isHttp);
  if (samples.length === 0) return null;
  let total = 0;
  let errors = 0;
  for (const s of samples) {
    total += s.value;
    if (labelOf(s, STATUS_LABELS)?.startsWith('5')) errors += s.value;
  }
  return { total, errors };
}

function latencies(exp: Exposition): RouteLatency[] {
  const samples = family(exp, isLatencyBucket);
  if (samples.length === 0) return [];
  const toMs = /_seconds_bucket$/.test(samples[0]!.name) ? 1000 : 1;
  const byRoute = new Map<string, Map<number, number>>();
  for (const s of samples) {
    const route = labelOf(s, ROUTE_LABELS) ?? 'all';
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    const buckets = byRoute.get(route) ?? new Map<number, number>();
    byRoute.set(route, buckets);
    // Other labels (method, status) are summed: buckets are cumulative, so sums stay valid.
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return [...byRoute.entries()]
    .map(([route, b]) => {
      const buckets = [...b.entries()].map(([le, count]) => ({ le, count }));
      const count = Math.max(0, ...buckets.map((x) => x.count));
      const q = histogramQuantile(0.95, buckets);
      return { route, count, p95Ms: q === null ? null : q * toMs, sloMs: sloFor(route) };
    })
    .sort((a, b) => b.count - a.count);
}

const sum = (samples: Sample[]) => samples.reduce((a, s) => a + s.value, 0);
/** The platform's load-shed families (platform/metrics/families.ts), every guard summed. */
const shedRefused = (exp: Exposition) => family(exp, (n) => n === 'skippy_load_shed_refused_total');
const shedLimits = (exp: Exposition) => family(exp, (n) => n === 'skippy_load_shed_limit');

/** Summarises a scrape, with rates against the previous scrape taken `seconds` earlier. */
export function summarise(cur: Exposition, prev: Exposition | null, seconds: number): OpsSummary {
  const now = requestTotals(cur);
  const before = prev ? requestTotals(prev) : null;
  let requestRate: number | null = null;
  let errorRate: number | null = null;
  if (now && before && seconds > 0 && now.total >= before.total) {
    const dTotal = now.total - before.total;
    requestRate = dTotal / seconds;
    errorRate = dTotal > 0 ? (now.errors - before.errors) / dTotal : 0;
  } else if (now) {
    errorRate = now.total > 0 ? now.errors / now.total : 0;
  }
  // Shed requests are answered 503, so they are among the requests counted; the share is of all.
  // The refusal counter appears with the first refusal: absent before means none yet.
  let shedRate: number | null = null;
  if (now) {
    const refused = sum(shedRefused(cur));
    if (before && requestRate !== null) {
      const dTotal = now.total - before.total;
      const refusedBefore = prev ? sum(shedRefused(prev)) : 0;
      shedRate = dTotal > 0 ? Math.max(0, refused - refusedBefore) / dTotal : 0;
    } else shedRate = now.total > 0 ? refused / now.total : 0;
  }
  const limits = shedLimits(cur);
  const ws = family(cur, isWsGauge);
  const queues = new Map<string, number>();
  for (const s of family(cur, isQueueDepth)) {
    const q = s.labels.queue ?? s.labels.name ?? 'queue';
    queues.set(q, (queues.get(q) ?? 0) + s.value);
  }
  return {
    requestRate,
    totalRequests: now?.total ?? null,
    errorRate,
    routes: latencies(cur),
    wsConnections: ws.length > 0 ? sum(ws) : null,
    queues: [...queues.entries()].map(([queue, depth]) => ({ queue, depth })),
    shedRate,
    shedLimit: limits.length > 0 ? Math.min(...limits.map((s) => s.value)) : null,
  };
}

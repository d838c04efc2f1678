import { z } from 'zod';
import { VERSION } from '../version';
import type { MetricsBatch } from './batch';
import { FAMILIES, type FamilyDef, type FamilyName, familyDef, isFamilyName } from './families';

/**
 * The deployment-wide totals held by the aggregating Durable Object, kept free of Cloudflare
 * APIs so it can be tested directly. Counters and histograms are sums of every source's deltas;
 * gauges keep each source's latest value for `GAUGE_TTL_MS` and are combined at render time.
 */
export const GAUGE_TTL_MS = 5 * 60_000;
/** Series per family the aggregator accepts; more are dropped (and counted), never rendered. */
export const MAX_AGGREGATE_SERIES = 2_000;
const SOURCE_TTL_MS = 24 * 3_600_000;

/** A persisted counter or histogram total. */
export const StoredSeries = z.object({
  n: z.string(),
  l: z.array(z.string()),
  v: z.number().optional(),
  b: z.array(z.number()).optional(),
  s: z.number().optional(),
  c: z.number().optional(),
  /** The Worker version that reported it (rendered as the `version` label); absent for old rows. */
  ver: z.string().optional(),
});
export type StoredSeries = z.infer<typeof StoredSeries>;

interface GaugeReport {
  v: number;
  t: number;
  at: number;
}

export interface ApplyOutcome {
  applied: boolean;
  /** Keys of the counter/histogram series whose totals changed (to persist). */
  changed: string[];
}

const keyOf = (n: string, l: readonly string[], ver?: string) =>
  `${n}\u001f${l.join('\u001f')}${ver === undefined ? '' : `\u001e${ver}`}`;

/** Label names and values of a series, with `version` last when the series has one. */
function withVersion(names: readonly string[], values: readonly string[], ver: string | undefined) {
  return ver === undefined ? { names, values } : { names: [...names, 'version'], values: [...values, ver] };
}

export class MetricsStore {
  readonly series = new Map<string, StoredSeries>();
  readonly sources = new Map<string, { seq: number; at: number }>();
  readonly #gauges = new Map<
    string,
    { n: FamilyName; l: string[]; ver: string | undefined; by: Map<string, GaugeReport> }
  >();
  readonly #perFamily = new Map<string, number>();
  #dropped = 0;
  #batches = 0;

  /** Restores persisted totals (rows from storage, parsed by the caller). */
  load(
    rows: Iterable<[string, StoredSeries]>,
    sources: Iterable<[string, { seq: number; at: number }]>,
  ): void {
    for (const [k, v] of rows) {
      this.series.set(k, v);
      this.#perFamily.set(v.n, (this.#perFamily.get(v.n) ?? 0) + 1);
    }
    for (const [id, s] of sources) this.sources.set(id, s);
  }

  /** Applies one batch exactly once per (source, seq); out-of-date or malformed entries are skipped. */
  apply(batch: MetricsBatch, now: number): ApplyOutcome {
    const prev = this.sources.get(batch.source);
    if (prev && batch.seq <= prev.seq) return { applied: false, changed: [] };
    const changed = new Set<string>();
    const ver = batch.version;
    for (const c of batch.counters) {
      const s = this.#slot(c.n, c.l, 'counter', ver);
      if (!s) continue;
      s.series.v = (s.series.v ?? 0) + c.v;
      changed.add(s.key);
    }
    for (const h of batch.histograms) {
      if (!isFamilyName(h.n) || h.b.length !== (familyDef(h.n).buckets?.length ?? 0) + 1) continue;
      const width = h.b.length;
      const s = this.#slot(h.n, h.l, 'histogram', ver);
      if (!s) continue;
      const b = s.series.b ?? new Array<number>(width).fill(0);
      s.series.b = b.map((x, i) => x + (h.b[i] ?? 0));
      s.series.s = (s.series.s ?? 0) + h.s;
      s.series.c = (s.series.c ?? 0) + h.c;
      changed.add(s.key);
    }
    for (const g of batch.gauges) {
      if (!this.#valid(g.n, g.l, 'gauge') || !isFamilyName(g.n)) continue;
      const key = keyOf(g.n, g.l, ver);
      let entry = this.#gauges.get(key);
      if (!entry) {
        entry = { n: g.n, l: g.l, ver, by: new Map() };
        this.#gauges.set(key, entry);
      }
      entry.by.set(batch.source, { v: g.v, t: g.t, at: now });
    }
    this.sources.set(batch.source, { seq: batch.seq, at: now });
    this.#batches++;
    return { applied: true, changed: [...changed] };
  }

  /** Sources idle for a day: their seq no longer needs remembering. */
  staleSources(now: number): string[] {
    return [...this.sources].filter(([, s]) => now - s.at > SOURCE_TTL_MS).map(([id]) => id);
  }

  #valid(n: string, l: readonly string[], type: FamilyDef['type']): boolean {
    return isFamilyName(n) && familyDef(n).type === type && familyDef(n).labels.length === l.length;
  }

  #slot(
    n: string,
    l: string[],
    type: FamilyDef['type'],
    ver: string | undefined,
  ): { key: string; series: StoredSeries } | null {
    if (!this.#valid(n, l, type)) return null;
    const key = keyOf(n, l, ver);
    let series = this.series.get(key);
    if (!series) {
      const count = this.#perFamily.get(n) ?? 0;
      if (count >= MAX_AGGREGATE_SERIES) {
        this.#dropped++;
        return null;
      }
      this.#perFamily.set(n, count + 1);
      series = ver === undefined ? { n, l } : { n, l, ver };
      this.series.set(key, series);
    }
    return { key, series };
  }

  /** Prometheus text exposition format 0.0.4 of the whole deployment. */
  render(now: number): string {
    const out: string[] = [];
    const byFamily = new Map<string, StoredSeries[]>();
    for (const s of this.series.values()) {
      const list = byFamily.get(s.n);
      if (list) list.push(s);
      else byFamily.set(s.n, [s]);
    }
    for (const name of Object.keys(FAMILIES)) {
      if (!isFamilyName(name)) continue;
      const def = familyDef(name);
      out.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`);
      const labels = def.labels;
      if (def.type === 'gauge') {
        for (const g of this.#gauges.values()) {
          if (g.n !== name) continue;
          const value = combine(def, g.by, now);
          const v = withVersion(labels, g.l, g.ver);
          if (value !== null) out.push(`${name}${fmtLabels(v.names, v.values)} ${fmt(value)}`);
        }
        continue;
      }
      const list = byFamily.get(name) ?? [];
      if (list.length === 0 && labels.length === 0 && def.type === 'counter') out.push(`${name} 0`);
      for (const s of list) {
        const v = withVersion(labels, s.l, s.ver);
        if (def.type === 'counter') {
          out.push(`${name}${fmtLabels(v.names, v.values)} ${fmt(s.v ?? 0)}`);
          continue;
        }
        let cumulative = 0;
        const bounds = def.buckets ?? [];
        const b = s.b ?? [];
        bounds.forEach((le, i) => {
          cumulative += b[i] ?? 0;
          out.push(
            `${name}_bucket${fmtLabels([...v.names, 'le'], [...v.values, fmt(le)])} ${fmt(cumulative)}`,
          );
        });
        out.push(`${name}_bucket${fmtLabels([...v.names, 'le'], [...v.values, '+Inf'])} ${fmt(s.c ?? 0)}`);
        out.push(`${name}_sum${fmtLabels(v.names, v.values)} ${fmt(s.s ?? 0)}`);
        out.push(`${name}_count${fmtLabels(v.names, v.values)} ${fmt(s.c ?? 0)}`);
      }
    }
    // Summed over versions: during a rollout each version reports its own share.
    const total = (n: string) => {
      let sum = 0;
      for (const s of this.series.values()) if (s.n === n) sum += s.v ?? 0;
      return sum;
    };
    const active = Math.max(
      0,
      total('skippy_ws_connections_opened_total') - total('skippy_ws_connections_closed_total'),
    );
    const live = [...this.sources.values()].filter((s) => now - s.at < GAUGE_TTL_MS).length;
    out.push(
      '# HELP skippy_ws_connections_active Open WebSocket connections (opened minus closed).',
      '# TYPE skippy_ws_connections_active gauge',
      `skippy_ws_connections_active ${fmt(active)}`,
      '# HELP skippy_metrics_sources Isolates and objects that flushed metrics in the last 5 minutes.',
      '# TYPE skippy_metrics_sources gauge',
      `skippy_metrics_sources ${live}`,
      '# HELP skippy_metrics_batches_total Metric batches applied since the aggregator started.',
      '# TYPE skippy_metrics_batches_total counter',
      `skippy_metrics_batches_total ${this.#batches}`,
      '# HELP skippy_metrics_dropped_series_total Series refused because a family exceeded its series budget.',
      '# TYPE skippy_metrics_dropped_series_total counter',
      `skippy_metrics_dropped_series_total ${this.#dropped}`,
      '# HELP skippy_build_info Build of the aggregating Worker.',
      '# TYPE skippy_build_info gauge',
      `skippy_build_info${fmtLabels(['version', 'build'], [VERSION.version, VERSION.build])} 1`,
    );
    return `${out.join('\n')}\n`;
  }
}

function combine(def: FamilyDef, by: Map<string, GaugeReport>, now: number): number | null {
  let result: number | null = null;
  let newest = -1;
  for (const [source, r] of by) {
    if (now - r.at > GAUGE_TTL_MS) {
      by.delete(source);
      continue;
    }
    if (def.aggregation === 'sum') result = (result ?? 0) + r.v;
    else if (def.aggregation === 'last') {
      if (r.t > newest) {
        newest = r.t;
        result = r.v;
      }
    } else if (def.aggregation === 'min') result = result === null ? r.v : Math.min(result, r.v);
    else result = result === null ? r.v : Math.max(result, r.v);
  }
  return result;
}

function fmt(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}

function escapeHelp(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function escapeLabel(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function fmtLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((k, i) => `${k}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`;
}

import type { MetricsBatch } from './batch';
import {
  type CounterName,
  type FamilyName,
  familyDef,
  type GaugeName,
  type HistogramName,
  type LabelsOf,
} from './families';

/**
 * The per-isolate recorder. Recording is synchronous and allocation-light (a map update); the
 * flush module ships what accumulated here to the aggregating Durable Object off the hot path.
 * Module state is per isolate, which is exactly the unit that flushes.
 */

/** Series per family an isolate will track; label sets beyond it are folded into `__overflow__`. */
export const MAX_SERIES_PER_FAMILY = 500;
export const OVERFLOW_LABEL = '__overflow__';
const MAX_LABEL_LENGTH = 64;

interface CounterAcc {
  n: FamilyName;
  l: string[];
  v: number;
}
interface HistogramAcc {
  n: FamilyName;
  l: string[];
  b: number[];
  s: number;
  c: number;
}
interface GaugeAcc {
  n: FamilyName;
  l: string[];
  v: number;
  t: number;
}

let counters = new Map<string, CounterAcc>();
let histograms = new Map<string, HistogramAcc>();
/** Gauges are state, not deltas: the latest value of each is resent with every batch. */
const gauges = new Map<string, GaugeAcc>();
const seen = new Map<FamilyName, Set<string>>();
let observations = 0;

function labelValues(name: FamilyName, labels: Record<string, string>): string[] {
  return familyDef(name).labels.map((k) => {
    // Control characters never belong in a label (and \u001f separates series keys); the length
    // is capped so one bad value stays small.
    let out = '';
    for (const ch of (labels[k] ?? '').slice(0, MAX_LABEL_LENGTH)) {
      const code = ch.charCodeAt(0);
      out += code < 0x20 || code === 0x7f ? '_' : ch;
    }
    return out;
  });
}

/** The series key, after folding label sets beyond the family's budget into one overflow series. */
function seriesKey(name: FamilyName, values: string[]): [string, string[]] {
  let keys = seen.get(name);
  if (!keys) {
    keys = new Set();
    seen.set(name, keys);
  }
  let key = `${name}\u001f${values.join('\u001f')}`;
  if (!keys.has(key)) {
    if (keys.size >= MAX_SERIES_PER_FAMILY) {
      values = values.map(() => OVERFLOW_LABEL);
      key = `${name}\u001f${values.join('\u001f')}`;
    }
    keys.add(key);
  }
  return [key, values];
}

function addCounter(name: FamilyName, labels: Record<string, string>, by: number): void {
  if (!(by > 0) || !Number.isFinite(by)) return;
  const [key, l] = seriesKey(name, labelValues(name, labels));
  const acc = counters.get(key);
  if (acc) acc.v += by;
  else counters.set(key, { n: name, l, v: by });
  observations++;
}

function observeHistogram(name: FamilyName, labels: Record<string, string>, ms: number): void {
  if (!Number.isFinite(ms)) return;
  const seconds = Math.max(0, ms) / 1000;
  const bounds = familyDef(name).buckets ?? [];
  const [key, l] = seriesKey(name, labelValues(name, labels));
  let acc = histograms.get(key);
  if (!acc) {
    acc = { n: name, l, b: new Array<number>(bounds.length + 1).fill(0), s: 0, c: 0 };
    histograms.set(key, acc);
  }
  let i = bounds.findIndex((le) => seconds <= le);
  if (i < 0) i = bounds.length;
  acc.b[i] = (acc.b[i] ?? 0) + 1;
  acc.s += seconds;
  acc.c += 1;
  observations++;
}

function setGauge(name: FamilyName, labels: Record<string, string>, value: number): void {
  if (!Number.isFinite(value)) return;
  const [key, l] = seriesKey(name, labelValues(name, labels));
  gauges.set(key, { n: name, l, v: value, t: Date.now() });
  observations++;
}

/**
 * The generic recording API. Names and label sets are checked by the compiler against
 * `FAMILIES`; durations are given in milliseconds.
 *
 * @example metrics.counter('skippy_ws_messages_total', { direction: 'out' }).inc(3)
 * @example metrics.histogram('skippy_agent_inference_duration_seconds', { agent: 'trend' }).observe(12.5)
 * @example metrics.gauge('skippy_queue_depth', { queue: 'skippy-backtests' }).set(42)
 */
export const metrics = {
  counter<N extends CounterName>(name: N, labels: LabelsOf<N>) {
    return { inc: (by = 1) => addCounter(name, labels, by) };
  },
  histogram<N extends HistogramName>(name: N, labels: LabelsOf<N>) {
    return { observe: (ms: number) => observeHistogram(name, labels, ms) };
  },
  gauge<N extends GaugeName>(name: N, labels: LabelsOf<N>) {
    return { set: (value: number) => setGauge(name, labels, value) };
  },
};

/** Observations recorded since the last `takeBatch` (drives the flush threshold). */
export function pendingObservations(): number {
  return observations;
}

/**
 * Moves everything recorded so far into a batch (deltas for counters and histograms, current
 * values for gauges) and starts afresh. Returns null when there is nothing to send.
 */
export function takeBatch(source: string, seq: number, version?: string): MetricsBatch | null {
  if (counters.size === 0 && histograms.size === 0 && gauges.size === 0) return null;
  const batch: MetricsBatch = {
    source,
    seq,
    ...(version === undefined ? {} : { version }),
    counters: [...counters.values()],
    histograms: [...histograms.values()],
    gauges: [...gauges.values()],
  };
  counters = new Map();
  histograms = new Map();
  observations = 0;
  return batch;
}

/** Test hook: forgets everything recorded in this isolate. */
export function resetRecorder(): void {
  counters = new Map();
  histograms = new Map();
  gauges.clear();
  seen.clear();
  observations = 0;
}

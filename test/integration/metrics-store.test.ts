import { evictDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MetricsBatch } from '../../platform/metrics/batch';
import { recordHttpRequest, recordQueueDepth, recordWsConnection } from '../../platform/metrics/events';
import { flushNow } from '../../platform/metrics/flush';
import { parseExposition, sampleSum } from '../../platform/metrics/prometheus-text';
import {
  MAX_SERIES_PER_FAMILY,
  metrics,
  OVERFLOW_LABEL,
  resetRecorder,
  takeBatch,
} from '../../platform/metrics/recorder';
import { MAX_AGGREGATE_SERIES, MetricsStore } from '../../platform/metrics/store';

const batch = (source: string, seq: number, v: number): MetricsBatch => ({
  source,
  seq,
  counters: [{ n: 'skippy_ws_messages_total', l: ['out'], v }],
  histograms: [],
  gauges: [],
});

const total = (store: MetricsStore, name: string, match: Record<string, string> = {}) =>
  sampleSum(parseExposition(store.render(Date.now())), name, match);

beforeEach(() => resetRecorder());

describe('MetricsStore (the aggregator state)', () => {
  it('applies each (source, seq) once: a resent or reordered batch is not counted twice', () => {
    const store = new MetricsStore();
    expect(store.apply(batch('a', 1, 5), 0).applied).toBe(true);
    expect(store.apply(batch('a', 1, 5), 0).applied).toBe(false);
    expect(store.apply(batch('b', 1, 2), 0).applied).toBe(true);
    expect(store.apply(batch('a', 2, 1), 0).applied).toBe(true);
    expect(store.apply(batch('a', 2, 1), 0).applied).toBe(false);
    expect(total(store, 'skippy_ws_messages_total', { direction: 'out' })).toBe(8);
  });

  it('ignores unknown families, wrong label counts and malformed histograms', () => {
    const store = new MetricsStore();
    store.apply(
      {
        source: 'a',
        seq: 1,
        counters: [
          { n: 'skippy_not_a_family_total', l: [], v: 1 },
          { n: 'skippy_ws_messages_total', l: ['out', 'extra'], v: 1 },
          { n: 'skippy_ws_delivery_seconds', l: [], v: 1 },
        ],
        histograms: [{ n: 'skippy_ws_delivery_seconds', l: [], b: [1, 2], s: 1, c: 3 }],
        gauges: [],
      },
      0,
    );
    const text = store.render(Date.now());
    expect(text).not.toContain('skippy_not_a_family_total');
    expect(text).not.toMatch(/skippy_ws_messages_total\{/);
    expect(text).not.toMatch(/skippy_ws_delivery_seconds_count/);
  });

  it('combines gauges per family (max, min, sum, last) and forgets sources that stop reporting', () => {
    const store = new MetricsStore();
    const now = Date.now();
    const g = (source: string, n: string, l: string[], v: number, t: number, at: number) =>
      store.apply({ source, seq: t, counters: [], histograms: [], gauges: [{ n, l, v, t }] }, at);
    g('a', 'skippy_circuit_breaker_state', ['d1'], 2, 1, now);
    g('b', 'skippy_circuit_breaker_state', ['d1'], 0, 2, now);
    g('a', 'skippy_queue_depth', ['q'], 150, 3, now);
    g('b', 'skippy_queue_depth', ['q'], 7, 4, now);
    g('c', 'skippy_queue_depth', ['old'], 9, 5, now - 10 * 60_000);
    g('a', 'skippy_load_shed_limit', ['api'], 48, 6, now);
    g('b', 'skippy_load_shed_limit', ['api'], 5, 7, now);
    g('c', 'skippy_load_shed_limit', ['api'], 2, 8, now - 10 * 60_000);
    g('a', 'skippy_load_shed_in_flight', ['api'], 3, 9, now);
    g('b', 'skippy_load_shed_in_flight', ['api'], 4, 10, now);
    const samples = parseExposition(store.render(now));
    // The tightest live isolate's limit (c stopped reporting), and slots summed over isolates.
    expect(sampleSum(samples, 'skippy_load_shed_limit', { guard: 'api' })).toBe(5);
    expect(sampleSum(samples, 'skippy_load_shed_in_flight', { guard: 'api' })).toBe(7);
    expect(sampleSum(samples, 'skippy_circuit_breaker_state', { dependency: 'd1' })).toBe(2);
    expect(sampleSum(samples, 'skippy_queue_depth', { queue: 'q' })).toBe(7);
    expect(samples.some((s) => s.labels.queue === 'old')).toBe(false);
  });

  it('escapes label values and caps the series of a family', () => {
    const store = new MetricsStore();
    const counters = Array.from({ length: MAX_AGGREGATE_SERIES + 5 }, (_, i) => ({
      n: 'skippy_ws_errors_total',
      l: [`k${i}`],
      v: 1,
    }));
    counters.push({ n: 'skippy_cache_requests_total', l: ['we"ird\\\nname', 'hit'], v: 1 });
    store.apply({ source: 'a', seq: 1, counters, histograms: [], gauges: [] }, 0);
    const text = store.render(Date.now());
    expect(text).toContain('skippy_cache_requests_total{cache="we\\"ird\\\\\\nname",outcome="hit"} 1');
    const samples = parseExposition(text);
    expect(samples.filter((s) => s.name === 'skippy_ws_errors_total')).toHaveLength(MAX_AGGREGATE_SERIES);
    expect(sampleSum(samples, 'skippy_metrics_dropped_series_total')).toBe(5);
    expect(samples.find((s) => s.labels.cache?.startsWith('we'))?.labels.cache).toBe('we"ird\\\nname');
  });
});

describe('the isolate recorder', () => {
  it('folds label sets beyond the per-family budget into one overflow series', () => {
    for (let i = 0; i < MAX_SERIES_PER_FAMILY + 10; i++)
      metrics.counter('skippy_ws_errors_total', { kind: `kind-${i}` }).inc();
    const b = takeBatch('t', 1);
    const errors = b?.counters.filter((c) => c.n === 'skippy_ws_errors_total') ?? [];
    expect(errors).toHaveLength(MAX_SERIES_PER_FAMILY + 1);
    expect(errors.find((c) => c.l[0] === OVERFLOW_LABEL)?.v).toBe(10);
  });

  it('puts histogram observations in the right bucket and sends deltas once', () => {
    recordHttpRequest('GET', '/x', 200, 42);
    recordHttpRequest('BREW', '/x', 503, 20_000);
    recordWsConnection('open', 3);
    recordQueueDepth('q', 4);
    const b = takeBatch('t', 1);
    const hist = b?.histograms.filter((h) => h.n === 'skippy_http_request_duration_seconds') ?? [];
    const ok = hist.find((h) => h.l[2] === '2xx');
    expect(ok?.b[3]).toBe(1); // 42 ms ≤ 0.05 s, the fourth bound
    expect(ok?.s).toBeCloseTo(0.042);
    const slow = hist.find((h) => h.l[2] === '5xx');
    expect(slow?.l[0]).toBe('OTHER');
    expect(slow?.b.at(-1)).toBe(1); // beyond 10 s: the +Inf slot
    expect(b?.counters.find((c) => c.n === 'skippy_ws_connections_opened_total')?.v).toBe(3);
    const again = takeBatch('t', 2);
    expect(again?.counters).toEqual([]);
    expect(again?.gauges.map((g) => g.v)).toEqual([4]);
  });
});

describe('flushing to the aggregator', () => {
  it('resends a failed batch with the same seq, so the deployment total is exact', async () => {
    const received: MetricsBatch[] = [];
    let failNext = true;
    const store = new MetricsStore();
    const fake = {
      idFromName: () => ({}),
      get: () => ({
        ingest: async (b: MetricsBatch) => {
          received.push(structuredClone(b));
          const outcome = store.apply(b, Date.now());
          if (failNext) {
            failNext = false;
            throw new Error('response lost after the batch was applied');
          }
          return { applied: outcome.applied, ok: true };
        },
      }),
    };
    const testEnv = { ...env, METRICS: fake } as unknown as Env;
    recordWsConnection('open', 2);
    await flushNow(testEnv);
    recordWsConnection('open', 1);
    await flushNow(testEnv);
    const seqs = received.map((b) => b.seq);
    expect(seqs).toHaveLength(3);
    expect(seqs[1]).toBe(seqs[0]);
    expect(seqs[2]).toBe((seqs[0] ?? 0) + 1);
    expect(total(store, 'skippy_ws_connections_opened_total')).toBe(3);
    expect(total(store, 'skippy_ws_connections_active')).toBe(3);
  });
});

describe('the MetricsAggregator object', () => {
  it('keeps totals and applied seqs across a restart, so a resent batch still counts once', async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName(`restart-${crypto.randomUUID()}`));
    const b = batch('src-restart', 7, 4);
    expect(await stub.ingest(b)).toEqual({ applied: true, ok: true });
    await evictDurableObject(stub);
    expect(await stub.ingest(b)).toEqual({ applied: false, ok: true });
    expect(await stub.ingest(batch('src-restart', 8, 1))).toEqual({ applied: true, ok: true });
    const samples = parseExposition(await stub.render());
    expect(sampleSum(samples, 'skippy_ws_messages_total', { direction: 'out' })).toBe(5);
  });

  it('acknowledges but ignores a malformed batch', async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName(`bad-${crypto.randomUUID()}`));
    expect(await stub.ingest({ source: '', seq: -1 })).toEqual({ applied: false, ok: true });
    expect(sampleSum(parseExposition(await stub.render()), 'skippy_metrics_batches_total')).toBe(0);
  });
});

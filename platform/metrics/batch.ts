import { z } from 'zod';

const LabelValues = z.array(z.string().max(128)).max(8);
const Count = z.number().finite().nonnegative();
/** Above the most an isolate can hold (500 series × every family), so a valid batch always fits. */
const MAX_ENTRIES = 20_000;

/**
 * One flush from one isolate or Durable Object (`source`) to the aggregator. Counters and
 * histograms carry deltas since the source's previous batch; `seq` increases by one per batch
 * and a batch is resent unchanged until acknowledged, so the aggregator applies each exactly once.
 * Gauges carry the source's current value.
 */
export const MetricsBatch = z.object({
  source: z.string().min(1).max(64),
  seq: z.number().int().positive(),
  /** The source's Worker version id: every series it reports is labelled `version` with it. */
  version: z.string().min(1).max(64).optional(),
  counters: z.array(z.object({ n: z.string().max(80), l: LabelValues, v: Count })).max(MAX_ENTRIES),
  histograms: z
    .array(
      z.object({
        n: z.string().max(80),
        l: LabelValues,
        b: z.array(Count).max(32),
        s: z.number().finite(),
        c: Count,
      }),
    )
    .max(MAX_ENTRIES),
  /** `t`: when the source set the value (epoch ms), so `last` gauges pick the newest report. */
  gauges: z
    .array(
      z.object({
        n: z.string().max(80),
        l: LabelValues,
        v: z.number().finite(),
        t: z.number().int().nonnegative(),
      }),
    )
    .max(MAX_ENTRIES),
});
export type MetricsBatch = z.infer<typeof MetricsBatch>;

/** What the aggregator answers to a batch. */
export interface IngestResult {
  /** False when the batch was a duplicate (already applied) or invalid. */
  applied: boolean;
  ok: boolean;
}

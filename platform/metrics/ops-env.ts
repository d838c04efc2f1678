import { z } from 'zod';

/**
 * Optional operations settings that `wrangler types` cannot know about: secrets set with
 * `wrangler secret put` (METRICS_TOKEN, SENTRY_DSN) and the optional Analytics Engine binding.
 * Parsed from the bindings, never cast; a malformed value counts as absent (fail closed).
 */
const AnalyticsBinding = z.custom<AnalyticsEngineDataset>(
  (v) =>
    typeof v === 'object' && v !== null && 'writeDataPoint' in v && typeof v.writeDataPoint === 'function',
);

export const OpsEnv = z.object({
  /** Bearer token for Prometheus scrapes of `/metrics`; at least 16 characters or ignored. */
  METRICS_TOKEN: z.string().min(16).optional().catch(undefined),
  SENTRY_DSN: z.url().optional().catch(undefined),
  ANALYTICS: AnalyticsBinding.optional().catch(undefined),
  ENVIRONMENT: z.string().optional().catch(undefined),
});
export type OpsEnv = z.infer<typeof OpsEnv>;

const parsed = new WeakMap<object, OpsEnv>();

/** The parsed operations settings of `env` (cached per bindings object). */
export function opsEnv(env: Env): OpsEnv {
  const hit = parsed.get(env);
  if (hit) return hit;
  const result = OpsEnv.safeParse(env);
  const value: OpsEnv = result.success ? result.data : {};
  parsed.set(env, value);
  return value;
}

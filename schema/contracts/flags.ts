import { z } from 'zod';

/**
 * A flag's state: `enabled` false serves the flag's default variant to everyone; otherwise
 * `variant` is served to `rollout` percent of API keys (by a stable hash of the key id), the rest
 * get the default. `rollout` has two decimals of resolution (0.01 %).
 */
export const FlagState = z
  .object({
    enabled: z.boolean(),
    variant: z.string().min(1).max(32),
    rollout: z
      .number()
      .min(0)
      .max(100)
      .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, { message: 'at most two decimals' }),
  })
  .strict();
export type FlagState = z.infer<typeof FlagState>;

export const FlagValue = z.union([z.boolean(), z.string(), z.number()]);

/** One flag as evaluated for the calling key (OpenFeature's evaluation details). */
export const EvaluatedFlag = z.object({
  key: z.string(),
  description: z.string(),
  value: FlagValue,
  variant: z.string(),
  reason: z.enum(['STATIC', 'DEFAULT', 'DISABLED', 'SPLIT', 'ERROR']),
});
export type EvaluatedFlag = z.infer<typeof EvaluatedFlag>;

/** One audited change: who, when, the state before (null: never set) and after. */
export const FlagAuditEntry = z.object({
  id: z.number().int(),
  flagKey: z.string(),
  actorKeyId: z.string(),
  actorName: z.string(),
  at: z.number().int(),
  oldValue: FlagState.nullable(),
  newValue: FlagState,
  traceId: z.string(),
});
export type FlagAuditEntry = z.infer<typeof FlagAuditEntry>;

import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Feature flag state (platform/flags/). A row exists once an operator changed the flag; until
 * then the environment's default (FLAG_DEFAULTS) or the catalogue's applies.
 */
export const featureFlags = sqliteTable('feature_flags', {
  key: text('key').primaryKey(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull(),
  variant: text('variant').notNull(),
  /** Percent of API keys served `variant` (0–100, two decimals). */
  rollout: real('rollout').notNull(),
  updatedAt: integer('updated_at').notNull(),
  /** API key id of the admin who made the last change. */
  updatedBy: text('updated_by').notNull(),
});

/** Every flag change: who (key id and name), when, the state before (null: never set) and after. */
export const flagAudit = sqliteTable(
  'flag_audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    flagKey: text('flag_key').notNull(),
    actorKeyId: text('actor_key_id').notNull(),
    actorName: text('actor_name').notNull(),
    at: integer('at').notNull(),
    /** JSON of the FlagState before the change, null when the flag had no stored state. */
    oldValue: text('old_value'),
    newValue: text('new_value').notNull(),
    traceId: text('trace_id').notNull(),
  },
  (t) => [index('flag_audit_key_at').on(t.flagKey, t.at)],
);

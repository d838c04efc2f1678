import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * API keys. The key itself is never stored: only its SHA-256 (keys are 256 random bits,
 * so a fast hash is enough) and a short display prefix so an operator can tell keys apart.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull().unique(),
    /** Comma-separated scopes: read, trade, ingest, admin. */
    scopes: text('scopes').notNull(),
    rateLimitTier: text('rate_limit_tier', { enum: ['standard', 'high'] })
      .notNull()
      .default('standard'),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_revoked').on(t.revokedAt)],
);

import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Versioned prediction models per symbol and horizon; inference uses the newest `ready` one. */
export const models = sqliteTable(
  'models',
  {
    symbol: text('symbol').notNull(),
    horizon: text('horizon', { enum: ['1h', '1d'] }).notNull(),
    version: text('version').notNull(),
    status: text('status', { enum: ['ready', 'failed', 'retired'] }).notNull(),
    artifact: text('artifact').notNull(),
    evaluation: text('evaluation'),
    trainedAt: integer('trained_at').notNull(),
    trainedThrough: integer('trained_through').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.symbol, t.horizon, t.version] }),
    index('models_latest').on(t.symbol, t.horizon, t.trainedAt),
  ],
);

export const trainingJobs = sqliteTable('training_jobs', {
  id: text('id').primaryKey(),
  symbol: text('symbol').notNull(),
  horizon: text('horizon').notNull(),
  status: text('status', { enum: ['queued', 'running', 'completed', 'failed'] }).notNull(),
  error: text('error'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

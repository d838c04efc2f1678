import { DurableObject } from 'cloudflare:workers';
import { config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { type IngestResult, MetricsBatch } from '../../platform/metrics/batch';
import { MetricsStore, StoredSeries } from '../../platform/metrics/store';
import { reportBackgroundError } from '../../platform/sentry';

/**
 * The one aggregating object (`idFromName('global')`): every isolate and Durable Object flushes
 * metric batches here, and `/metrics` renders the deployment's totals from here. Totals and the
 * last applied `seq` per source live in SQLite so a restart neither resets counters nor
 * re-applies a resent batch; gauges live in memory because their sources re-report them.
 */
export class MetricsAggregator extends DurableObject<Env> {
  readonly #store = new MetricsStore();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
    const sql = ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, data TEXT NOT NULL)');
    sql.exec(
      'CREATE TABLE IF NOT EXISTS sources (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL)',
    );
    const rows: Array<[string, StoredSeries]> = [];
    for (const row of sql.exec<{ key: string; data: string }>('SELECT key, data FROM series')) {
      const parsed = StoredSeries.safeParse(safeJson(row.data));
      if (parsed.success) rows.push([row.key, parsed.data]);
    }
    const sources: Array<[string, { seq: number; at: number }]> = [];
    for (const row of sql.exec<{ id: string; seq: number; at: number }>('SELECT id, seq, at FROM sources')) {
      sources.push([row.id, { seq: row.seq, at: row.at }]);
    }
    this.#store.load(rows, sources);
  }

  /** Applies one batch from an isolate or object (exactly once per source and seq). */
  async ingest(input: unknown): Promise<IngestResult> {
    try {
      return this.#ingest(input);
    } catch (err) {
      throw this.#reported(err, 'ingest');
    }
  }

  /** The Prometheus text exposition of every flushed measurement. */
  async render(): Promise<string> {
    try {
      return this.#store.render(Date.now());
    } catch (err) {
      throw this.#reported(err, 'render');
    }
  }

  /** Reports an RPC failure (the caller only sees a failed flush or scrape) and hands it back to rethrow. */
  #reported(err: unknown, name: string): unknown {
    reportBackgroundError(this.env, err, {
      component: 'metrics-aggregator',
      name,
      waitUntil: (p) => this.ctx.waitUntil(p),
    });
    return err;
  }

  #ingest(input: unknown): IngestResult {
    const parsed = MetricsBatch.safeParse(input);
    if (!parsed.success) {
      createLogger({ object: 'MetricsAggregator' }).warn('invalid metrics batch dropped', {
        issues: parsed.error.issues.length,
      });
      // Acknowledged: resending an invalid batch would never succeed.
      return { applied: false, ok: true };
    }
    const now = Date.now();
    const { applied, changed } = this.#store.apply(parsed.data, now);
    if (applied) {
      const sql = this.ctx.storage.sql;
      for (const key of changed) {
        const s = this.#store.series.get(key);
        if (s) sql.exec('INSERT OR REPLACE INTO series (key, data) VALUES (?, ?)', key, JSON.stringify(s));
      }
      sql.exec(
        'INSERT OR REPLACE INTO sources (id, seq, at) VALUES (?, ?, ?)',
        parsed.data.source,
        parsed.data.seq,
        now,
      );
      for (const id of this.#store.staleSources(now)) {
        this.#store.sources.delete(id);
        sql.exec('DELETE FROM sources WHERE id = ?', id);
      }
    }
    return { applied, ok: true };
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

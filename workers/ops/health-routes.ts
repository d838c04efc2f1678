import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { roomFor } from '../../durable-objects/symbol-room/client';
import { config } from '../../platform/config';
import { withD1 } from '../../platform/d1/d1';
import { FLAGS, type FlagKey } from '../../platform/flags/catalog';
import { stateOf } from '../../platform/flags/evaluate';
import { isolateFlags } from '../../platform/flags/flag-cache';
import { VERSION } from '../../platform/version';
import { workerVersion } from '../../platform/worker-version';
import { FlagState } from '../../schema/contracts/flags';
import { requireScope } from '../middleware/auth';
import { rateLimit } from '../middleware/rate-limit';
import { createRouter } from '../router';

const Check = z.object({
  status: z.enum(['ok', 'fail']),
  latencyMs: z.number(),
  error: z.string().optional(),
});
const Liveness = z
  .object({ status: z.literal('ok'), version: z.string(), time: z.string() })
  .openapi('Liveness');
const DbHealth = z
  .object({ status: z.enum(['ok', 'fail']), latencyMs: z.number(), error: z.string().optional() })
  .openapi('DbHealth');
const Detailed = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    build: z.string(),
    environment: z.string(),
    /** The Worker version serving this request (deploy tooling checks it after a switch). */
    workerVersion: z.object({ id: z.string(), tag: z.string(), timestamp: z.string() }),
    /** This isolate's flag set: where it was read from, when, and each flag's state. */
    flags: z.object({
      source: z.enum(['d1', 'kv', 'defaults']),
      loadedAt: z.string(),
      states: z.record(z.string(), FlagState),
    }),
    checks: z.object({ d1: Check, kv: Check, queue: Check, durableObject: Check }),
  })
  .openapi('DetailedHealth');

async function timed(fn: () => Promise<unknown>, timeoutMs = 3_000): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs),
      ),
    ]);
    return { status: 'ok', latencyMs: round(performance.now() - started) };
  } catch (err) {
    return {
      status: 'fail',
      latencyMs: round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export const health = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['health'],
      summary: 'Liveness: the Worker answers.',
      responses: { 200: { description: 'Alive', content: { 'application/json': { schema: Liveness } } } },
    }),
    (c) => c.json({ status: 'ok' as const, version: VERSION.version, time: new Date().toISOString() }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/db',
      tags: ['health'],
      summary: 'A D1 round trip and its latency.',
      responses: {
        200: { description: 'D1 answers', content: { 'application/json': { schema: DbHealth } } },
        503: { description: 'D1 failing', content: { 'application/json': { schema: DbHealth } } },
      },
    }),
    async (c) => {
      const check = await timed(() => c.env.DB.prepare('SELECT 1 AS ok').first());
      return check.status === 'ok' ? c.json(check, 200) : c.json(check, 503);
    },
  );

health.use('/detailed', requireScope('read'), rateLimit());
health.openapi(
  createRoute({
    method: 'get',
    path: '/detailed',
    tags: ['health'],
    summary: 'Every dependency with status and latency (key required).',
    security: [{ bearer: [] }],
    responses: {
      200: { description: 'All dependencies healthy', content: { 'application/json': { schema: Detailed } } },
      503: {
        description: 'At least one dependency failing',
        content: { 'application/json': { schema: Detailed } },
      },
    },
  }),
  async (c) => {
    const [d1, kv, queue, durableObject] = await Promise.all([
      // Through the D1 guard, so an open circuit or injected faults show here as they do to readers.
      timed(() => withD1(c.env, 'health.detailed', (db) => db.run(sql`SELECT 1`))),
      timed(() => c.env.CACHE.get('v1:health-probe')),
      // A probe message: consumers recognise `{ type: 'probe' }` and ack it without work.
      timed(() => c.env.BACKTEST_QUEUE.send({ type: 'probe', traceId: c.get('traceId') })),
      timed(() => roomFor(c.env, '__HEALTH').ping()),
    ]);
    const checks = { d1, kv, queue, durableObject };
    const snap = await isolateFlags.current(c.env, (p) => c.executionCtx.waitUntil(p));
    const flags = {
      source: snap.source,
      loadedAt: new Date(snap.loadedAt).toISOString(),
      states: Object.fromEntries((Object.keys(FLAGS) as FlagKey[]).map((k) => [k, stateOf(snap, k)])),
    };
    const ok = Object.values(checks).every((x) => x.status === 'ok');
    const body = {
      status: ok ? ('ok' as const) : ('degraded' as const),
      version: VERSION.version,
      build: VERSION.build,
      environment: config(c.env).ENVIRONMENT,
      workerVersion: workerVersion(c.env),
      flags,
      checks,
    };
    return ok ? c.json(body, 200) : c.json(body, 503);
  },
);

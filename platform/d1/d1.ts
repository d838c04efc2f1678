import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1';
import * as schema from '../../schema/tables';
import { observeD1 } from '../observe';
import { breakerFor } from './circuit-breaker';
import { currentFaults, InjectedFault } from './faults';
import { currentSession } from './session';

export type Database = DrizzleD1Database<typeof schema>;

/**
 * The only way routes and consumers reach D1: every call goes through the D1 circuit breaker,
 * fault injection (chaos tests) and the D1 latency metric. `op` is a bounded label such as
 * `bars.select`, never a query string. Inside a request's D1 session (session.ts) the queries
 * run through the session, so reads may come from a replica; the breaker, faults and metric are
 * the same either way.
 */
export async function withD1<T>(env: Env, op: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const breaker = breakerFor('d1');
  const started = performance.now();
  let ok = false;
  try {
    const result = await breaker.call(async () => {
      const faults = await currentFaults(env);
      if (faults) {
        if (faults.d1LatencyMs > 0) await new Promise((r) => setTimeout(r, faults.d1LatencyMs));
        if (faults.d1ErrorRate > 0 && Math.random() < faults.d1ErrorRate) throw new InjectedFault('d1');
      }
      const session = currentSession();
      // drizzle calls only `prepare` and `batch`, which a session has with the same signatures.
      const client = session ? (session as unknown as D1Database) : env.DB;
      return fn(drizzle(client, { schema }));
    });
    ok = true;
    return result;
  } finally {
    observeD1(op, performance.now() - started, ok);
  }
}

import { sql } from 'drizzle-orm';
import { withD1 } from '../d1/d1';

/**
 * Which of `keyIds` are revoked or gone, in ONE D1 query whatever their number (the ids travel as
 * one JSON parameter, past D1's 100-parameter limit). For long-lived sockets that re-check their
 * keys together (a gateway's alarm), never per message.
 */
export async function revokedKeyIds(env: Env, keyIds: readonly string[]): Promise<Set<string>> {
  const ids = [...new Set(keyIds)].filter(Boolean);
  if (ids.length === 0) return new Set();
  const rows = await withD1(env, 'api_keys.revoked', (db) =>
    db.all<{ id: string }>(
      sql`SELECT value AS id FROM json_each(${JSON.stringify(ids)}) WHERE value NOT IN (SELECT id FROM api_keys WHERE revoked_at IS NULL)`,
    ),
  );
  return new Set(rows.map((r) => r.id));
}

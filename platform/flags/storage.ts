import { desc, eq } from 'drizzle-orm';
import { type FlagAuditEntry, FlagState } from '../../schema/contracts/flags';
import { featureFlags, flagAudit } from '../../schema/tables';
import { kvKey } from '../cache';
import { withD1 } from '../d1/d1';
import { dependency } from '../errors';
import { type FlagKey, isFlagKey } from './catalog';

/**
 * Flag state lives in D1 (the source of truth, changed only through the admin API, every change
 * audited in the same batch); KV keeps a last-known-good copy for isolates that start while D1
 * is failing. KV is a cache here too: it is rewritten on every change and expires.
 */
const KV_COPY_TTL_SECONDS = 30 * 24 * 3600;

export type AuditEntry = FlagAuditEntry;

export interface Actor {
  keyId: string;
  name: string;
  traceId: string;
}

function parseState(json: string | null): FlagState | null {
  if (json === null) return null;
  const r = FlagState.safeParse(JSON.parse(json));
  return r.success ? r.data : null;
}

/** Every stored flag state from D1 (rows for flags no longer in the catalogue are skipped). */
export async function readStates(env: Env): Promise<Map<FlagKey, FlagState>> {
  const rows = await withD1(env, 'flags.select', (db) => db.select().from(featureFlags));
  const out = new Map<FlagKey, FlagState>();
  for (const r of rows) {
    if (!isFlagKey(r.key)) continue;
    const s = FlagState.safeParse({ enabled: r.enabled, variant: r.variant, rollout: r.rollout });
    if (s.success) out.set(r.key, s.data);
  }
  return out;
}

/** The last-known-good copy in KV, or null. */
export async function readKvCopy(env: Env): Promise<Map<FlagKey, FlagState> | null> {
  const raw = await dependency('kv', () => env.CACHE.get(kvKey.flags(), 'json'));
  if (typeof raw !== 'object' || raw === null) return null;
  const out = new Map<FlagKey, FlagState>();
  for (const [k, v] of Object.entries(raw)) {
    const s = FlagState.safeParse(v);
    if (isFlagKey(k) && s.success) out.set(k, s.data);
  }
  return out;
}

export async function writeKvCopy(env: Env, states: ReadonlyMap<string, FlagState>): Promise<void> {
  await dependency('kv', () =>
    env.CACHE.put(kvKey.flags(), JSON.stringify(Object.fromEntries(states)), {
      expirationTtl: KV_COPY_TTL_SECONDS,
    }),
  );
}

/**
 * Stores `next` for `key` and its audit row in one D1 batch (both or neither), returning the
 * state before. The read of the old state and the write are separate statements: two admins
 * changing one flag at the same instant both get audited, each with the state it saw.
 */
export async function writeState(
  env: Env,
  key: FlagKey,
  next: FlagState,
  actor: Actor,
  now = Date.now(),
): Promise<{ old: FlagState | null; audit: AuditEntry }> {
  return withD1(env, 'flags.write', async (db) => {
    const prev = await db.select().from(featureFlags).where(eq(featureFlags.key, key)).get();
    const old = prev ? { enabled: prev.enabled, variant: prev.variant, rollout: prev.rollout } : null;
    const row = { ...next, updatedAt: now, updatedBy: actor.keyId };
    const audit = {
      flagKey: key,
      actorKeyId: actor.keyId,
      actorName: actor.name,
      at: now,
      oldValue: old === null ? null : JSON.stringify(old),
      newValue: JSON.stringify(next),
      traceId: actor.traceId,
    };
    const [, inserted] = await db.batch([
      db
        .insert(featureFlags)
        .values({ key, ...row })
        .onConflictDoUpdate({ target: featureFlags.key, set: row }),
      db.insert(flagAudit).values(audit).returning({ id: flagAudit.id }),
    ]);
    return { old, audit: { ...audit, id: inserted[0]?.id ?? 0, oldValue: old, newValue: next } };
  });
}

/** The newest audit entries of one flag (or of all flags), newest first. */
export async function readAudit(env: Env, key: FlagKey | null, limit: number): Promise<AuditEntry[]> {
  const rows = await withD1(env, 'flags.audit', (db) => {
    const q = db.select().from(flagAudit);
    return (key ? q.where(eq(flagAudit.flagKey, key)) : q).orderBy(desc(flagAudit.id)).limit(limit);
  });
  return rows.map((r) => ({
    id: r.id,
    flagKey: r.flagKey,
    actorKeyId: r.actorKeyId,
    actorName: r.actorName,
    at: r.at,
    oldValue: parseState(r.oldValue),
    newValue: parseState(r.newValue) ?? { enabled: false, variant: 'off', rollout: 0 },
    traceId: r.traceId,
  }));
}

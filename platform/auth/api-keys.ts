import { desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { apiKeys } from '../../schema/tables';
import { newId, randomToken, sha256Hex, timingSafeEqualStrings } from '../crypto';
import { type Database, withD1 } from '../d1/d1';

export const Scope = z.enum(['read', 'trade', 'ingest', 'admin']);
export type Scope = z.infer<typeof Scope>;
export const RateLimitTier = z.enum(['standard', 'high']);
export type RateLimitTier = z.infer<typeof RateLimitTier>;

/** Who is calling: the key's id and grants, never the key itself. */
export interface Principal {
  keyId: string;
  /** SHA-256 of the key, which names its revocation tombstone (platform/auth/key-revocations.ts). */
  keyHash: string;
  name: string;
  scopes: Scope[];
  tier: RateLimitTier;
}

/** Keys look like `sk_<43 base64url chars>`: the prefix makes a leaked key recognisable to scanners. */
export const KEY_PATTERN = /^sk_[A-Za-z0-9_-]{43}$/;

export function generateKey(): string {
  return `sk_${randomToken(32)}`;
}

export function displayPrefix(key: string): string {
  return key.slice(0, 10);
}

export function parseScopes(raw: string): Scope[] {
  return raw
    .split(',')
    .map((s) => Scope.safeParse(s.trim()))
    .filter((r) => r.success)
    .map((r) => r.data);
}

export interface CreatedKey {
  id: string;
  key: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  tier: RateLimitTier;
  createdAt: number;
}

export async function createKey(
  env: Env,
  input: { name: string; scopes: Scope[]; tier?: RateLimitTier },
): Promise<CreatedKey> {
  const key = generateKey();
  const row = {
    id: newId('key'),
    name: input.name,
    prefix: displayPrefix(key),
    hash: await sha256Hex(key),
    scopes: [...new Set(input.scopes)].join(','),
    rateLimitTier: input.tier ?? 'standard',
    createdAt: Date.now(),
  };
  await withD1(env, 'api_keys.insert', (db) => db.insert(apiKeys).values(row).run());
  return {
    id: row.id,
    key,
    name: row.name,
    prefix: row.prefix,
    scopes: parseScopes(row.scopes),
    tier: row.rateLimitTier,
    createdAt: row.createdAt,
  };
}

export async function listKeys(env: Env) {
  const rows = await withD1(env, 'api_keys.list', (db) =>
    db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt)).all(),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: parseScopes(r.scopes),
    tier: r.rateLimitTier,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  }));
}

/** The stored SHA-256 of key `id` (revoked or not), or null when no key has that id. */
export async function keyHashById(env: Env, id: string): Promise<string | null> {
  const row = await withD1(env, 'api_keys.hash_by_id', (db) =>
    db.select({ hash: apiKeys.hash }).from(apiKeys).where(eq(apiKeys.id, id)).get(),
  );
  return row?.hash ?? null;
}

/**
 * Marks key `id` revoked in D1 (the record); false when no key has that id. Idempotent: a key
 * revoked earlier keeps its first `revokedAt`, so a retried revocation (after a failure in the
 * steps around it, platform/auth/revoke-key.ts) is harmless.
 */
export async function markKeyRevoked(env: Env, id: string): Promise<boolean> {
  const rows = await withD1(env, 'api_keys.revoke', (db) =>
    db
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${Date.now()})` })
      .where(eq(apiKeys.id, id))
      .returning({ id: apiKeys.id })
      .all(),
  );
  return rows.length > 0;
}

function principalOf(row: typeof apiKeys.$inferSelect): Principal {
  return {
    keyId: row.id,
    keyHash: row.hash,
    name: row.name,
    scopes: parseScopes(row.scopes),
    tier: row.rateLimitTier,
  };
}

async function findByHash(db: Database, hash: string) {
  return db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).get();
}

/**
 * Resolves a presented key. The lookup is by hash (so the secret never reaches a WHERE clause),
 * then the stored hash is compared in constant time. Revoked and unknown keys resolve to null.
 */
export async function verifyKey(env: Env, presented: string): Promise<Principal | null> {
  if (!KEY_PATTERN.test(presented)) return null;
  return verifyKeyHash(env, await sha256Hex(presented));
}

/** `verifyKey` for a caller that holds only the key's SHA-256 (hex): a gateway the Worker handed an upgrade. */
export async function verifyKeyHash(env: Env, hash: string): Promise<Principal | null> {
  const row = await withD1(env, 'api_keys.lookup', (db) => findByHash(db, hash));
  if (!row || row.revokedAt !== null) return null;
  if (!timingSafeEqualStrings(row.hash, hash)) return null;
  return principalOf(row);
}

/** The live principal of a key id, or null once it is revoked (for long-lived sockets re-checking their key). */
export async function principalById(env: Env, keyId: string): Promise<Principal | null> {
  const row = await withD1(env, 'api_keys.by_id', (db) =>
    db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).get(),
  );
  if (!row || row.revokedAt !== null) return null;
  return principalOf(row);
}

export async function touchKey(env: Env, keyId: string): Promise<void> {
  await withD1(env, 'api_keys.touch', (db) =>
    db.update(apiKeys).set({ lastUsedAt: Date.now() }).where(eq(apiKeys.id, keyId)).run(),
  );
}

export async function countActiveKeys(env: Env): Promise<number> {
  const rows = await withD1(env, 'api_keys.count', (db) =>
    db.select({ id: apiKeys.id }).from(apiKeys).where(isNull(apiKeys.revokedAt)).all(),
  );
  return rows.length;
}

/** Whether a key may act with `scope` (`admin` implies every scope). */
export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes(scope) || p.scopes.includes('admin');
}

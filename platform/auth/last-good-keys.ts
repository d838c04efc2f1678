import { z } from 'zod';
import { BoundedMap } from '../bounded-map';
import { kvKey } from '../cache';
import { type Principal, RateLimitTier, Scope } from './api-keys';
import { LAST_GOOD_MAX_AGE_MS } from './key-revocations';

/**
 * Last-known-good principals, keyed by key hash: what D1 last confirmed, kept in isolate memory
 * and in KV so that reads keep answering while D1 fails. A copy is accepted only within
 * `LAST_GOOD_MAX_AGE_MS` of its confirmation and only after the revocation tombstone check
 * (platform/auth/key-revocations.ts); this module only keeps and finds copies.
 */
const REFRESH_MS = 60_000;
/** Bound of the isolate map: past it the key confirmed least recently is evicted. */
export const LAST_GOOD_MEMORY_CAP = 10_000;

const StoredCopy = z.object({
  principal: z.object({
    keyId: z.string(),
    keyHash: z.string(),
    name: z.string(),
    scopes: z.array(Scope),
    tier: RateLimitTier,
  }),
  at: z.number(),
});
type StoredCopy = z.infer<typeof StoredCopy>;

const memory = new BoundedMap<string, StoredCopy>(LAST_GOOD_MEMORY_CAP);

function freshInIsolate(hash: string, now: number): StoredCopy | null {
  const copy = memory.get(hash);
  if (!copy) return null;
  if (now - copy.at < LAST_GOOD_MAX_AGE_MS) return copy;
  memory.delete(hash);
  return null;
}

/**
 * Records that D1 has just confirmed `hash` as `principal`. Returns the KV write to run in the
 * background when the copy is due for a refresh (at most once a minute per key and isolate), else null.
 */
export function rememberConfirmed(
  env: Env,
  hash: string,
  principal: Principal,
  now = Date.now(),
): Promise<void> | null {
  const prev = memory.get(hash);
  if (prev && now - prev.at <= REFRESH_MS) return null;
  const copy: StoredCopy = { principal, at: now };
  memory.set(hash, copy);
  return env.CACHE.put(kvKey.apiKey(hash), JSON.stringify(copy), {
    expirationTtl: LAST_GOOD_MAX_AGE_MS / 1000,
  });
}

/** True when this isolate saw D1 confirm `hash` within the fallback window (no I/O). */
export function confirmedRecently(hash: string, now = Date.now()): boolean {
  return freshInIsolate(hash, now) !== null;
}

/** The freshest copy of `hash` (isolate memory, then KV), or null. The caller must check the tombstone. */
export async function recallCopy(env: Env, hash: string, now = Date.now()): Promise<Principal | null> {
  const mem = freshInIsolate(hash, now);
  if (mem) return mem.principal;
  const raw = await env.CACHE.get(kvKey.apiKey(hash), 'json').catch(() => null);
  const parsed = StoredCopy.safeParse(raw);
  if (!parsed.success || now - parsed.data.at >= LAST_GOOD_MAX_AGE_MS) return null;
  memory.set(hash, parsed.data);
  return parsed.data.principal;
}

/** Drops this isolate's copy (D1 said the key is unknown or revoked). */
export function forgetInIsolate(hash: string): void {
  memory.delete(hash);
}

/** Drops this isolate's copy and the KV copy (revocation; the tombstone covers other isolates). */
export async function forgetCopies(env: Env, hash: string): Promise<void> {
  memory.delete(hash);
  await env.CACHE.delete(kvKey.apiKey(hash));
}

/** Entries held in this isolate (for tests of the bound). */
export function lastGoodMemorySize(): number {
  return memory.size;
}

import { z } from 'zod';
import { kvKey } from '../cache';
import { ApiError } from '../errors';

/**
 * Revocation tombstones: why a revoked key can never come back through a fallback copy.
 *
 * D1 is the record and is asked on every request, but while D1 fails a key is accepted from a
 * last-known-good copy (platform/auth/last-good-keys.ts), and such copies live in KV and in
 * the memory of every isolate that saw the key. A revocation cannot reach into other isolates'
 * memory, and deleting the KV copy races with a request that confirmed the key just before the
 * revocation and writes its copy just after. So revocation does not rely on deleting copies: it
 * writes a tombstone under the key's hash, and the fallback path reads the tombstone BEFORE it
 * uses any copy, from memory or KV, and fails closed (503) when the tombstone cannot be read. A
 * revoked key is thus answered 401 during an outage even where no copy exists at all.
 *
 * - The tombstone is written before D1 is updated, so there is no moment at which D1 says
 *   "revoked" and no tombstone exists (a revocation whose D1 update then fails leaves a key
 *   refused during outages only, and the admin is told to retry).
 * - It outlives every copy: a copy is only accepted within `LAST_GOOD_MAX_AGE_MS` of the D1 read
 *   that confirmed it, which happened before the revocation, and the tombstone lives twice that.
 *   Keys are never un-revoked, so a tombstone can never be wrong.
 * - A revocation epoch (one counter bumped by every revocation) would also supersede copies, but it
 *   lives in the same eventually consistent KV and would refuse every key confirmed before any
 *   revocation; a tombstone per key refuses exactly the revoked one.
 * - KV is eventually consistent across locations (about 60 s): a key revoked less than a minute
 *   before D1 fails may still be accepted from a copy in a distant location for the rest of that
 *   minute. In the location that wrote it the tombstone is visible at once.
 */
export const LAST_GOOD_MAX_AGE_MS = 10 * 60_000;
export const TOMBSTONE_TTL_SECONDS = (2 * LAST_GOOD_MAX_AGE_MS) / 1000;

/** The tombstone's value (only its presence matters; the fields are for operators reading KV). */
export const Tombstone = z.object({ keyId: z.string(), revokedAt: z.number() });
export type Tombstone = z.infer<typeof Tombstone>;

/** Writes the tombstone of the key whose SHA-256 is `hash` (before D1 is updated: see above). */
export async function recordRevocation(
  env: Env,
  hash: string,
  keyId: string,
  revokedAt = Date.now(),
): Promise<void> {
  await env.CACHE.put(kvKey.revokedKey(hash), JSON.stringify({ keyId, revokedAt } satisfies Tombstone), {
    expirationTtl: TOMBSTONE_TTL_SECONDS,
  });
}

/**
 * True when the key whose SHA-256 is `hash` carries a revocation tombstone. Fails closed: when KV cannot be read this
 * throws a 503 `dependency_failed`, so no fallback copy is used unchecked.
 */
export async function hasRevocationTombstone(env: Env, hash: string): Promise<boolean> {
  let raw: unknown;
  try {
    raw = await env.CACHE.get(kvKey.revokedKey(hash), 'json');
  } catch {
    throw new ApiError('dependency_failed', 'Authentication is temporarily unavailable; retry shortly.');
  }
  // Anything stored under the key counts: even a malformed tombstone is a revocation.
  return raw !== null;
}

import { sha256Hex } from '../crypto';
import { ApiError, isDependencyFailure } from '../errors';
import { KEY_PATTERN, type Principal, touchKey, verifyKeyHash } from './api-keys';
import { hasRevocationTombstone } from './key-revocations';
import { forgetInIsolate, recallCopy, rememberConfirmed } from './last-good-keys';

/**
 * Resolves a presented key: D1 is asked on every request, so a revoked key stops at once. Only
 * when D1 is failing does a last-known-good copy (≤ 10 minutes old) keep reads answering, and
 * only after the key's revocation tombstone was checked in KV (401 if present, 503 if KV cannot
 * say): a copy in this isolate's memory may predate a revocation made elsewhere
 * (platform/auth/key-revocations.ts explains why a tombstone and not only deletion).
 */
export async function authenticate(
  env: Env,
  key: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Principal | null> {
  if (!KEY_PATTERN.test(key)) return null;
  return authenticateHash(env, await sha256Hex(key), waitUntil);
}

/** `authenticate` for a caller that holds only the key's SHA-256 (a gateway handed an upgrade). */
export async function authenticateHash(
  env: Env,
  hash: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Principal | null> {
  try {
    const principal = await verifyKeyHash(env, hash);
    if (!principal) {
      forgetInIsolate(hash);
      return null;
    }
    const refresh = rememberConfirmed(env, hash, principal);
    if (refresh) waitUntil(Promise.all([refresh, touchKey(env, principal.keyId)]).catch(() => {}));
    return principal;
  } catch (err) {
    if (!isDependencyFailure(err)) throw err;
    // The tombstone decides before any copy is used (a rejected read fails the whole fallback: 503).
    const [revoked, copy] = await Promise.all([hasRevocationTombstone(env, hash), recallCopy(env, hash)]);
    if (revoked) {
      forgetInIsolate(hash);
      return null;
    }
    if (!copy)
      throw new ApiError('dependency_failed', 'Authentication is temporarily unavailable; retry shortly.');
    return copy;
  }
}

import { ApiError, isDependencyFailure } from '../errors';
import { keyHashById, markKeyRevoked } from './api-keys';
import { recordRevocation } from './key-revocations';
import { forgetCopies } from './last-good-keys';

/**
 * Revokes a key everywhere it could still be accepted: the tombstone first (so no fallback copy,
 * in any isolate, is used from now on), then D1 (the record, which every request asks), then
 * this isolate's and KV's last-known-good copies. Returns false when no key has that id.
 * When a storage step fails the caller gets a 503 and may retry: every step is idempotent.
 */
export async function revokeKey(env: Env, id: string): Promise<boolean> {
  try {
    const hash = await keyHashById(env, id);
    if (!hash) return false;
    await recordRevocation(env, hash, id);
    await markKeyRevoked(env, id);
    await forgetCopies(env, hash);
    return true;
  } catch (err) {
    if (!isDependencyFailure(err)) throw err;
    throw new ApiError(
      'dependency_failed',
      'The revocation could not be completed (storage is failing); retry it, retrying is safe.',
    );
  }
}

import { type Principal, principalById } from '../../platform/auth/api-keys';
import { hasRevocationTombstone } from '../../platform/auth/key-revocations';
import { base64url, sha256Hex } from '../../platform/crypto';
import { dependency, isDependencyFailure } from '../../platform/errors';
import type { TicketGrant } from './stream-tickets';

const TICKET_PATTERN = /^tk_([0-9a-f]{2})[A-Za-z0-9_-]{40,64}$/;

function shard(env: Env, prefix: string) {
  return env.STREAM_TICKETS.get(env.STREAM_TICKETS.idFromName(`tickets:${prefix}`));
}

/**
 * Issues a single-use ticket for `principal`, valid `ttlSeconds` (≤ 60). The ticket's first two
 * hex characters pick its shard, so redeeming needs no lookup.
 */
export async function issueTicket(
  env: Env,
  principal: Principal,
  ttlSeconds: number,
): Promise<{ ticket: string; expiresAt: number }> {
  const random = new Uint8Array(32);
  crypto.getRandomValues(random);
  const prefix = (random[0] ?? 0).toString(16).padStart(2, '0');
  const ticket = `tk_${prefix}${base64url(random)}`;
  const expiresAt = Date.now() + Math.min(60, ttlSeconds) * 1000;
  const grant: TicketGrant = {
    keyId: principal.keyId,
    keyHash: principal.keyHash,
    scopes: principal.scopes,
    tier: principal.tier,
  };
  const hash = await sha256Hex(ticket);
  await dependency('stream-tickets', () => shard(env, prefix).issue(hash, grant, expiresAt));
  return { ticket, expiresAt };
}

/**
 * Consumes a ticket; its grant, or null when malformed, unknown, expired, already used, or when
 * its key has been revoked since the ticket was issued (checked here, at redemption).
 */
export async function redeemTicket(env: Env, ticket: string): Promise<TicketGrant | null> {
  const m = TICKET_PATTERN.exec(ticket);
  if (!m?.[1]) return null;
  const hash = await sha256Hex(ticket);
  const prefix = m[1];
  const grant = await dependency('stream-tickets', () => shard(env, prefix).redeem(hash));
  if (!grant) return null;
  return (await keyStillActive(env, grant)) ? grant : null;
}

/**
 * D1 decides; while D1 fails the ticket itself is the last-known-good copy (issued to a key D1
 * confirmed at most 60 s ago) and, like every fallback copy, counts only if the key carries no
 * revocation tombstone (a 503 when KV cannot say: fail closed).
 */
async function keyStillActive(env: Env, grant: TicketGrant): Promise<boolean> {
  try {
    return (await principalById(env, grant.keyId)) !== null;
  } catch (err) {
    if (!isDependencyFailure(err)) throw err;
    return !(await hasRevocationTombstone(env, grant.keyHash));
  }
}

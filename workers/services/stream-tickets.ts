import type { TicketGrant } from '../../durable-objects/stream-tickets/stream-tickets';
import { sha256Hex } from '../lib/crypto';
import type { Principal } from './api-keys';

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
  const grant: TicketGrant = { keyId: principal.keyId, scopes: principal.scopes, tier: principal.tier };
  await shard(env, prefix).issue(await sha256Hex(ticket), grant, expiresAt);
  return { ticket, expiresAt };
}

/** Consumes a ticket; its grant, or null when malformed, unknown, expired or already used. */
export async function redeemTicket(env: Env, ticket: string): Promise<TicketGrant | null> {
  const m = TICKET_PATTERN.exec(ticket);
  if (!m?.[1]) return null;
  return shard(env, m[1]).redeem(await sha256Hex(ticket));
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

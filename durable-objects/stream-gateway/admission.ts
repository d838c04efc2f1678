import { hasScope, type Principal, RateLimitTier } from '../../platform/auth/api-keys';
import { authenticateHash } from '../../platform/auth/authenticate';
import { dependency, isDependencyFailure } from '../../platform/errors';
import { NextCall } from '../../platform/next-call';
import {
  keySocketsFor,
  type SlotGrant,
  STREAM_CONNECTS_PER_MINUTE,
  socketLimit,
} from '../key-sockets/client';

/** Internal headers between the Worker and a gateway (never taken from clients). */
export const GATEWAY_HEADERS = {
  /** A bot's upgrade: the SHA-256 of its API key; the gateway authenticates it (batched per key). */
  keyHash: 'x-stream-key-hash',
  /** A ticket's upgrade: the key the ticket was issued to, already checked by the Worker. */
  keyId: 'x-stream-key-id',
  tier: 'x-stream-key-tier',
  /** The frames (JSON) of a `?subscribe=`/`?resume=` URL, validated by the Worker: the socket's first requests. */
  requests: 'x-stream-requests',
  full: 'x-stream-full',
  /** On a refusal: why (`unauthorized`, `forbidden`, `auth_unavailable`, `connect_rate`, `open_sockets`). */
  refusal: 'x-stream-refusal',
  /** On a 403: the key's scopes. */
  scopes: 'x-stream-scopes',
  /** On a 429: the key's open sockets and its limit, or the connect rate and the wait. */
  open: 'x-stream-open',
  limit: 'x-stream-limit',
  retryAfter: 'retry-after',
} as const;

export type Refusal = 'unauthorized' | 'forbidden' | 'auth_unavailable' | 'connect_rate' | 'open_sockets';

/** An upgrade waiting for its key's slot. */
interface SlotRequest {
  conn: string;
  resolve: (grant: { ok: boolean; grant: SlotGrant }) => void;
  reject: (err: unknown) => void;
}

/**
 * Who may open a socket on this gateway, decided with as few calls as a storm allows. Each
 * upgrade is an event on the gateway's thread anyway; what it must not add is a call of its own:
 * - **the key**: upgrades of one key that arrive while its D1 lookup is in flight share the next
 *   lookup (`NextCall`), so every answer comes from a read that started after the upgrade
 *   arrived (a key revoked before it is refused) and a storm of 1,000 costs a handful of reads;
 *   during a D1 outage the platform's fallback applies unchanged (`authenticateHash`: the
 *   revocation tombstone first, then a last-known-good copy);
 * - **the slot and the connect**: upgrades of one key go to its `KeySockets` object together,
 *   one call in flight per key, the next batch waiting; that object charges the key's connect
 *   rate and grants open-socket slots in the same call.
 * (In the Worker, a request cannot wait on another request's I/O: workerd cancels it as hung.)
 */
export class Admission {
  readonly #keys = new NextCall<Principal | null>();
  readonly #acquiring = new Map<string, { tier: RateLimitTier; queued: SlotRequest[] | null }>();

  constructor(
    private readonly env: Env,
    private readonly gateway: () => string,
    private readonly waitUntil: (p: Promise<unknown>) => void,
  ) {}

  /**
   * The upgrade's key and tier from the Worker's headers, or the refusal: a key hash is
   * authenticated here; a ticket's key id was checked by the Worker.
   */
  async identify(
    headers: Headers,
  ): Promise<{ keyId: string; tier: RateLimitTier } | { refusal: Refusal; scopes?: string[] }> {
    const hash = headers.get(GATEWAY_HEADERS.keyHash);
    if (hash) {
      let principal: Principal | null;
      try {
        principal = await this.#keys.run(hash, () => authenticateHash(this.env, hash, this.waitUntil));
      } catch (err) {
        if (isDependencyFailure(err)) return { refusal: 'auth_unavailable' };
        throw err;
      }
      if (!principal) return { refusal: 'unauthorized' };
      if (!hasScope(principal, 'read')) return { refusal: 'forbidden', scopes: principal.scopes };
      return { keyId: principal.keyId, tier: principal.tier };
    }
    const keyId = headers.get(GATEWAY_HEADERS.keyId);
    const tier = RateLimitTier.safeParse(headers.get(GATEWAY_HEADERS.tier));
    if (!keyId || !tier.success) return { refusal: 'unauthorized' };
    return { keyId, tier: tier.data };
  }

  /** A slot (and a connect) for socket `conn` of key `keyId`, batched per key (see the class doc). */
  slot(keyId: string, tier: RateLimitTier, conn: string): Promise<{ ok: boolean; grant: SlotGrant }> {
    return new Promise((resolve, reject) => {
      const request: SlotRequest = { conn, resolve, reject };
      const pending = this.#acquiring.get(keyId);
      if (pending) {
        if (pending.queued) pending.queued.push(request);
        else pending.queued = [request];
        return;
      }
      this.#acquiring.set(keyId, { tier, queued: null }); // a call is in flight, nothing queued yet
      void this.#acquire(keyId, tier, [request]);
    });
  }

  async #acquire(keyId: string, tier: RateLimitTier, batch: SlotRequest[]): Promise<void> {
    try {
      const grant = await dependency('key-sockets', () =>
        keySocketsFor(this.env, keyId).acquire(
          batch.map((r) => r.conn),
          this.gateway(),
          socketLimit(this.env, tier),
          STREAM_CONNECTS_PER_MINUTE[tier],
        ),
      );
      for (const [i, r] of batch.entries()) r.resolve({ ok: i < grant.granted, grant });
    } catch (err) {
      for (const r of batch) r.reject(err);
    } finally {
      const pending = this.#acquiring.get(keyId);
      const next = pending?.queued;
      if (pending && next && next.length > 0) {
        pending.queued = null;
        void this.#acquire(keyId, pending.tier, next);
      } else this.#acquiring.delete(keyId);
    }
  }
}

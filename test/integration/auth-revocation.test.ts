import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKey, markKeyRevoked } from '../../platform/auth/api-keys';
import { recordRevocation } from '../../platform/auth/key-revocations';
import {
  confirmedRecently,
  forgetInIsolate,
  LAST_GOOD_MEMORY_CAP,
  lastGoodMemorySize,
} from '../../platform/auth/last-good-keys';
import { BoundedMap } from '../../platform/bounded-map';
import { kvKey } from '../../platform/cache';
import { sha256Hex } from '../../platform/crypto';
import { breakerFor } from '../../platform/d1/circuit-breaker';
import { clientAddress, LOCAL_CLIENT } from '../../platform/http/client-address';
import { CloseCode } from '../../schema/contracts/stream';
import worker from '../../workers/index';
import { AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS } from '../../workers/middleware/auth-failures';
import { injectFaults, json, makeKey, seedSymbols } from './helpers';

let adminKey: string;

beforeAll(async () => {
  await seedSymbols();
  adminKey = await makeKey(['admin']);
});

afterEach(async () => {
  // Clear any faults, then wait until D1 answers through the breaker again, so tests stay independent.
  await call('/api/v1/admin/faults', { method: 'DELETE', key: adminKey });
  for (let i = 0; i < 100; i++) {
    const ok = await breakerFor('d1')
      .call(() => env.DB.prepare('SELECT 1').first())
      .then(() => true)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('D1 did not recover after the faults were cleared');
});

interface CallInit extends RequestInit {
  key?: string;
  /** `cf-connecting-ip`; without it the request counts as the constant local client. */
  ip?: string;
  /** Bindings to use instead of the test's (to count D1 calls or break KV). */
  bindings?: Env;
}

/** The Worker's public fetch handler, waiting for its background work (KV copies) to land. */
async function call(path: string, init: CallInit = {}): Promise<Response> {
  const { key, ip, bindings, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  if (ip) headers.set('cf-connecting-ip', ip);
  const request = new Request(`http://skippy.test${path}`, { ...rest, headers }) as Request<
    unknown,
    IncomingRequestCfProperties
  >;
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, bindings ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function newKey(scopes: ('read' | 'trade' | 'ingest' | 'admin')[] = ['read']) {
  const k = await createKey(env, { name: 'revocation-test', scopes, tier: 'high' });
  return { id: k.id, key: k.key, hash: await sha256Hex(k.key) };
}

async function outage(): Promise<void> {
  expect((await injectFaults(adminKey, { d1ErrorRate: 1, durationSeconds: 30 })).status).toBe(200);
}

const upgrade = { headers: { upgrade: 'websocket' } };

describe('revocation is final', () => {
  it('a key revoked through the admin API stays refused while D1 fails, on REST and on the stream upgrade', async () => {
    const revoked = await newKey();
    const kept = await newKey();
    // Both keys get a last-known-good copy (isolate memory and KV) from a successful request.
    expect((await call('/api/v1/symbols', { key: revoked.key })).status).toBe(200);
    expect((await call('/api/v1/symbols', { key: kept.key })).status).toBe(200);
    expect(await env.CACHE.get(kvKey.apiKey(revoked.hash))).not.toBeNull();

    const del = await call(`/api/v1/admin/keys/${revoked.id}`, { method: 'DELETE', key: adminKey });
    expect(del.status).toBe(200);
    expect(await env.CACHE.get(kvKey.apiKey(revoked.hash))).toBeNull();
    expect(await env.CACHE.get(kvKey.revokedKey(revoked.hash))).not.toBeNull();
    expect((await call('/api/v1/symbols', { key: revoked.key })).status).toBe(401);

    await outage();
    // The fallback is live (the other key is served from its copy), yet the revoked key is refused.
    expect((await call('/api/v1/symbols', { key: kept.key })).status).toBe(200);
    const rest = await call('/api/v1/symbols', { key: revoked.key });
    expect(rest.status).toBe(401);
    const body = await json<{ error: { code: string; traceId: string } }>(rest);
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.traceId).toBe(rest.headers.get('x-trace-id'));
    const stream = await call('/api/v1/stream', { ...upgrade, key: revoked.key });
    expect(stream.status).toBe(401);
    expect(stream.webSocket).toBeNull();
    expect((await call('/api/v1/stream/ticket', { method: 'POST', key: revoked.key })).status).toBe(401);
  });

  it('a copy another isolate still holds in memory (or in KV) is refused through the tombstone', async () => {
    const k = await newKey();
    expect((await call('/api/v1/symbols', { key: k.key })).status).toBe(200);
    // Revoked as another isolate would: tombstone and D1 only, this isolate's copies untouched.
    await recordRevocation(env, k.hash, k.id);
    expect(await markKeyRevoked(env, k.id)).toBe(true);
    expect(confirmedRecently(k.hash)).toBe(true);
    expect(await env.CACHE.get(kvKey.apiKey(k.hash))).not.toBeNull();

    await outage();
    expect((await call('/api/v1/symbols', { key: k.key })).status).toBe(401);
    expect((await call('/api/v1/stream', { ...upgrade, key: k.key })).status).toBe(401);
    // An isolate holding only the KV copy.
    forgetInIsolate(k.hash);
    expect(await env.CACHE.get(kvKey.apiKey(k.hash))).not.toBeNull();
    expect((await call('/api/v1/symbols', { key: k.key })).status).toBe(401);
  });

  it('fails closed when the tombstone cannot be read: 503, never the cached copy', async () => {
    const k = await newKey();
    expect((await call('/api/v1/symbols', { key: k.key })).status).toBe(200);
    await outage();
    const brokenKv = new Proxy(env.CACHE, {
      get(target, prop) {
        if (prop === 'get')
          return (name: string, ...rest: unknown[]) =>
            name.startsWith('v1:revoked:')
              ? Promise.reject(new Error('KV unavailable'))
              : (target.get as (...a: unknown[]) => unknown).call(target, name, ...rest);
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const res = await call('/api/v1/symbols', { key: k.key, bindings: { ...env, CACHE: brokenKv } });
    expect(res.status).toBe(503);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('dependency_failed');
    // With KV readable again the same copy is served: the 503 came from the unreadable tombstone.
    expect((await call('/api/v1/symbols', { key: k.key })).status).toBe(200);
  });

  it('a ticket issued before the revocation cannot be redeemed after it, with D1 up or failing', async () => {
    const k = await newKey();
    const issue = async () => {
      const res = await call('/api/v1/stream/ticket', { method: 'POST', key: k.key });
      expect(res.status).toBe(201);
      return (await json<{ ticket: string }>(res)).ticket;
    };
    const redeem = async (ticket: string) => {
      const res = await call(`/api/v1/stream?ticket=${ticket}`, upgrade);
      const ws = res.webSocket;
      if (!ws) return { status: res.status, code: null, error: null };
      const frames: string[] = [];
      const closed = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)));
      ws.addEventListener('message', (e) => frames.push(String(e.data)));
      ws.accept();
      const code = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
      if (code === null) ws.close(1000, 'done');
      return { status: res.status, code, error: frames[0] ? JSON.parse(frames[0]).code : null };
    };

    // Control: a ticket of a live key opens a socket that stays open.
    expect((await redeem(await issue())).code).toBeNull();

    const beforeUp = await issue();
    const beforeOutage = await issue();
    expect((await call(`/api/v1/admin/keys/${k.id}`, { method: 'DELETE', key: adminKey })).status).toBe(200);
    const up = await redeem(beforeUp);
    expect(up.code).toBe(CloseCode.authFailed);
    expect(up.error).toBe('auth_failed');
    await outage();
    const down = await redeem(beforeOutage);
    expect(down.code).toBe(CloseCode.authFailed);
  });
});

describe('failed authentication is rate limited per address', () => {
  const randomKey = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return `sk_${btoa(String.fromCharCode(...bytes))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '')}`;
  };

  /** D1 calls made by requests sent with these bindings. */
  function countingDb() {
    let calls = 0;
    const DB = new Proxy(env.DB, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { bindings: { ...env, DB } as Env, calls: () => calls };
  }

  it('answers 429 with Retry-After after the budget, before any D1 lookup, and never touches other addresses or valid keys', async () => {
    // The limiter's window is aligned to the clock: start early in one, so the block outlasts the test.
    const intoWindow = Date.now() % (AUTH_FAILURE_WINDOW_SECONDS * 1000);
    if (intoWindow > 30_000)
      await new Promise((r) => setTimeout(r, AUTH_FAILURE_WINDOW_SECONDS * 1000 - intoWindow + 50));
    const attacker = '203.0.113.7';
    const friend = await newKey();
    const stranger = await newKey();
    const unseen = await newKey();
    // `friend` is used from the attacker's address (a shared NAT) before the block.
    expect((await call('/api/v1/symbols', { key: friend.key, ip: attacker })).status).toBe(200);

    const db = countingDb();
    let limited: Response | null = null;
    let failures = 0;
    while (!limited && failures <= AUTH_FAILURE_LIMIT) {
      // Well-formed guesses (D1 lookups) and malformed ones (no lookup) alike.
      const key = failures % 3 === 2 ? 'sk_short' : randomKey();
      const res = await call('/api/v1/symbols', { key, ip: attacker, bindings: db.bindings });
      if (res.status === 429) limited = res;
      else {
        expect(res.status).toBe(401);
        failures++;
      }
    }
    expect(failures).toBe(AUTH_FAILURE_LIMIT);
    const res = limited as Response;
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_SECONDS);
    const body = await json<{ error: { code: string; traceId: string; details: { retryAfter: number } } }>(
      res,
    );
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.traceId).toBe(res.headers.get('x-trace-id'));
    // Two of three guesses were looked up: the counter sees D1 calls.
    expect(db.calls()).toBeGreaterThanOrEqual(Math.floor((AUTH_FAILURE_LIMIT * 2) / 3));

    // Blocked: further guesses (on REST, the stream upgrade and /metrics) cost no D1 call at all.
    const before = db.calls();
    for (let i = 0; i < 20; i++) {
      const path = ['/api/v1/symbols', '/api/v1/stream', '/metrics'][i % 3] as string;
      const r = await call(path, {
        ...upgrade,
        key: i % 2 ? 'nope' : randomKey(),
        ip: attacker,
        bindings: db.bindings,
      });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(db.calls()).toBe(before);

    // Other addresses are untouched, for guesses and valid keys alike; valid keys never spend the budget.
    expect((await call('/api/v1/symbols', { key: stranger.key, ip: '198.51.100.23' })).status).toBe(200);
    expect((await call('/api/v1/symbols', { key: randomKey(), ip: '198.51.100.23' })).status).toBe(401);
    expect((await call('/api/v1/symbols', { key: friend.key, ip: '198.51.100.23' })).status).toBe(200);
    // From the blocked address a key this isolate has confirmed still works; one it has never seen
    // cannot be told from a guess without a lookup, so it waits like the guesses.
    expect((await call('/api/v1/symbols', { key: friend.key, ip: attacker })).status).toBe(200);
    expect((await call('/api/v1/symbols', { key: unseen.key, ip: attacker })).status).toBe(429);

    // The proof that the refusal precedes the lookup: with every D1 call failing the answer is still 429, not 503.
    await outage();
    expect((await call('/api/v1/symbols', { key: randomKey(), ip: attacker })).status).toBe(429);
  }, 90_000);

  it('charges the edge address: IPv4 as is, IPv6 per /64, the local constant without one', () => {
    const addr = (ip?: string) => clientAddress(new Headers(ip ? { 'cf-connecting-ip': ip } : {}));
    expect(addr('203.0.113.7')).toBe('203.0.113.7');
    expect(addr()).toBe(LOCAL_CLIENT);
    expect(addr('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addr('2001:db8:1:2::9')).toBe(addr('2001:0db8:0001:0002:ffff::1'));
    expect(addr('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addr('2001:db8:1:3::1')).not.toBe(addr('2001:db8:1:2::1'));
    expect(addr('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
  });

  it('a valid key sent many times from one address never spends the failure budget', async () => {
    const k = await newKey();
    const ip = '198.51.100.77';
    for (let i = 0; i < AUTH_FAILURE_LIMIT * 2; i++)
      expect((await call('/api/v1/symbols', { key: k.key, ip })).status).toBe(200);
    // The address still has its whole failure budget: a wrong key is a plain 401.
    expect((await call('/api/v1/symbols', { key: randomKey(), ip })).status).toBe(401);
  });
});

describe('per-key memory is bounded', () => {
  it('BoundedMap evicts the stalest write past its cap', () => {
    const m = new BoundedMap<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c'].entries()) m.set(k, i);
    m.set('a', 10); // rewritten: now the freshest
    m.set('d', 3);
    expect(m.size).toBe(3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(10);
    expect(m.get('d')).toBe(3);
  });

  it('the last-known-good map stays within its cap', () => {
    expect(lastGoodMemorySize()).toBeGreaterThan(0);
    expect(lastGoodMemorySize()).toBeLessThanOrEqual(LAST_GOOD_MEMORY_CAP);
  });
});

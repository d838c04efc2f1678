import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { ROOT, wranglerEnv } from '../../scripts/lib/platform';
import { baseUrl, call, demoKey } from './helpers';

const run = promisify(execFile);

// Requests here carry their own client address, so the failures they cause never spend the budget
// of 127.0.0.1, which every other e2e and browser suite shares.
const HERE = '198.51.100.41';

function from(ip: string, init: RequestInit & { key?: string } = {}) {
  return { ...init, headers: { ...(init.headers as Record<string, string>), 'cf-connecting-ip': ip } };
}

async function createKey(): Promise<{ id: string; key: string }> {
  const res = await call(
    '/api/v1/admin/keys',
    from(HERE, {
      method: 'POST',
      key: demoKey('admin'),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'e2e-revocation', scopes: ['read'] }),
    }),
  );
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

async function symbolsStatus(key: string, ip = HERE): Promise<number> {
  return (await call('/api/v1/symbols', from(ip, { key }))).status;
}

async function setD1Failing(failing: boolean): Promise<void> {
  const admin = demoKey('admin');
  const res = failing
    ? await call(
        '/api/v1/admin/faults',
        from(HERE, {
          method: 'PUT',
          key: admin,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ d1ErrorRate: 1, durationSeconds: 60 }),
        }),
      )
    : await call('/api/v1/admin/faults', from(HERE, { method: 'DELETE', key: admin }));
  expect(res.status).toBe(200);
}

/** Outcome of a stream upgrade: the HTTP status of a refusal, or the close code of an accepted socket. */
async function upgrade(opts: {
  key?: string;
  ticket?: string;
  ip?: string;
}): Promise<{ status: number; close?: number }> {
  const url = new URL('/api/v1/stream', baseUrl().replace(/^http/, 'ws'));
  if (opts.ticket) url.searchParams.set('ticket', opts.ticket);
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? HERE };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to the upgrade')), 15_000);
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('open', () => {
      // Accepted: a refused ticket closes at once; a good one stays open (closed here after 1 s).
      const grace = setTimeout(() => ws.close(1000), 1_000);
      ws.once('close', (code) => {
        clearTimeout(timer);
        clearTimeout(grace);
        resolve({ status: 101, close: code });
      });
    });
    ws.once('error', () => {});
  });
}

afterEach(async () => {
  await setD1Failing(false);
  // The D1 breaker stays open a few seconds after the faults end: leave only once D1 answers again.
  for (let i = 0; i < 100; i++) {
    const res = await call('/api/health/detailed', from(HERE, { key: demoKey('admin') }));
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('D1 did not recover after the faults were cleared');
});

describe('revocation is final (wrangler dev)', () => {
  it('a key revoked through the admin API stays refused during a D1 outage: REST, stream upgrade and an earlier ticket', async () => {
    const k = await createKey();
    const other = await createKey();
    expect(await symbolsStatus(k.key)).toBe(200);
    expect(await symbolsStatus(other.key)).toBe(200);
    const ticketRes = await call('/api/v1/stream/ticket', from(HERE, { method: 'POST', key: k.key }));
    expect(ticketRes.status).toBe(201);
    const { ticket } = (await ticketRes.json()) as { ticket: string };

    const del = await call(
      `/api/v1/admin/keys/${k.id}`,
      from(HERE, { method: 'DELETE', key: demoKey('admin') }),
    );
    expect(del.status).toBe(200);
    expect(await symbolsStatus(k.key)).toBe(401);

    await setD1Failing(true);
    // The fallback is live (another key is served from its last-known-good copy)…
    expect(await symbolsStatus(other.key)).toBe(200);
    // …and the revoked key is refused everywhere.
    expect(await symbolsStatus(k.key)).toBe(401);
    expect(await upgrade({ key: k.key })).toEqual({ status: 401 });
    expect(await upgrade({ ticket })).toEqual({ status: 101, close: 4001 });
  });

  it('`npm run keys -- revoke` supersedes the copy a running Worker holds in memory', async () => {
    const k = await createKey();
    const other = await createKey();
    // The Worker now holds a last-known-good copy of both keys (memory and KV).
    expect(await symbolsStatus(k.key)).toBe(200);
    expect(await symbolsStatus(other.key)).toBe(200);

    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/keys.ts', 'revoke', k.id, '--persist-to', inject('persistTo')],
      { cwd: ROOT, env: wranglerEnv(), timeout: 120_000 },
    );
    expect(stdout).toContain(`Revoked ${k.id}`);

    // The key is not presented between the revocation and the outage: the Worker's memory copy
    // is still there, and only the tombstone the script wrote in the local KV can refuse it.
    await setD1Failing(true);
    expect(await symbolsStatus(other.key)).toBe(200);
    expect(await symbolsStatus(k.key)).toBe(401);
    expect(await upgrade({ key: k.key })).toEqual({ status: 401 });
  }, 180_000);

  it('failed authentication from one address is answered 429 with Retry-After; other addresses and valid keys are untouched', {
    timeout: 120_000,
  }, async () => {
    const guesser = `198.51.100.${100 + (randomBytes(1)[0]! % 100)}`;
    // The limiter's windows are aligned to the clock: start with at least 15 s of one left (the 31
    // requests and the checks after them take a few seconds), so the block outlasts the test.
    const intoWindow = Date.now() % 60_000;
    if (intoWindow > 45_000) await new Promise((r) => setTimeout(r, 60_050 - intoWindow));
    let limited: Response | null = null;
    let failures = 0;
    // 30 per minute per address (wrangler.toml AUTH_FAILURES).
    while (!limited && failures <= 30) {
      const res = await call(
        '/api/v1/symbols',
        from(guesser, { key: `sk_${randomBytes(32).toString('base64url')}` }),
      );
      if (res.status === 429) limited = res;
      else {
        expect(res.status).toBe(401);
        failures++;
      }
    }
    expect(limited).not.toBeNull();
    expect(failures).toBe(30);
    const res = limited as Response;
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await res.json()) as { error: { code: string; traceId: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.traceId).toBe(res.headers.get('x-trace-id'));

    // Another address: its valid key works and its own mistakes are plain 401s.
    expect(await symbolsStatus(demoKey('read'), '198.51.100.42')).toBe(200);
    expect(await symbolsStatus('sk_wrong', '198.51.100.42')).toBe(401);

    // The guesser stays blocked on the stream upgrade too, and before any lookup: 429 even while D1 fails.
    const guess = () => `sk_${randomBytes(32).toString('base64url')}`;
    expect(await upgrade({ key: guess(), ip: guesser })).toEqual({ status: 429 });
    await setD1Failing(true);
    expect(await symbolsStatus(guess(), guesser)).toBe(429);
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { baseUrl, call, demoKey } from './helpers';
import { TestSocket } from './stream-support';

// Production's limits (platform/config.ts, wrangler.toml): the e2e wrangler does not change them.
// It does run with STREAM_SOCKETS_PER_GATEWAY=4, so a key's 100 sockets span 25 gateway shards.
const STANDARD_SOCKETS = 100;
const STANDARD_CONNECTS_PER_MINUTE = 120;

interface Refusal {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error: { code: string; message: string; details?: Record<string, unknown>; traceId: string } };
}

/** An upgrade: the open socket, or the refusal's status, headers and JSON body. */
function upgrade(key: string): Promise<{ ws: WebSocket } | Refusal> {
  const ws = new WebSocket(new URL('/api/v1/stream', baseUrl().replace(/^http/, 'ws')), {
    headers: { authorization: `Bearer ${key}` },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to the upgrade')), 15_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) });
      });
    });
    ws.once('error', () => {});
  });
}

async function refusedUpgrade(key: string): Promise<Refusal> {
  const r = await upgrade(key);
  if ('ws' in r) {
    r.ws.close();
    throw new Error('the upgrade was accepted');
  }
  return r;
}

async function createKey(scopes: string[]): Promise<{ id: string; key: string }> {
  const res = await call('/api/v1/admin/keys', {
    method: 'POST',
    key: demoKey('admin'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `limits-${randomUUID()}`, scopes }),
  });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

const open: TestSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('stream: per-key connection limits', () => {
  it('refuses a key past its open sockets across every shard with 429 and Retry-After, frees the slot when one closes, and never charges the REST budget', async () => {
    const { key } = await createKey(['read']);
    for (let i = 0; i < STANDARD_SOCKETS; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => TestSocket.open({ key })));
      open.push(...batch);
    }
    await Promise.all(open.map((s) => s.next('welcome')));

    const refused = await refusedUpgrade(key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.body.error.traceId).toBeTruthy();
    expect(refused.body.error.details).toMatchObject({ limit: 'open_sockets', max: STANDARD_SOCKETS });

    // Per key: another key still connects, and REST calls of the refused key still answer.
    const other = await TestSocket.open();
    open.push(other);
    await other.next('welcome');
    expect((await call('/api/v1/symbols', { key })).status).toBe(200);

    // Closing one socket frees its slot (released by its gateway shortly after the close).
    const first = open.shift();
    first?.close();
    await first?.closed;
    let again: TestSocket | null = null;
    for (let attempt = 0; attempt < 50 && !again; attempt++) {
      again = await TestSocket.open({ key }).catch(() => null);
      if (!again) await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).not.toBeNull();
    if (again) open.push(again);
  });

  it('refuses a key past its connect rate with 429, Retry-After and RateLimit headers; the ticket path closes with 4008', async () => {
    const { key } = await createKey(['read']);
    const ticket = await call('/api/v1/stream/ticket', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 60 }),
    });
    expect(ticket.status).toBe(201);
    const { url } = (await ticket.json()) as { url: string };

    // Each connect is opened and closed at once: the budget counts connects, not open sockets.
    // It refills continuously (2 a second on standard), so the loop may take a few more than 120.
    let limited: Refusal | null = null;
    for (let i = 0; i < STANDARD_CONNECTS_PER_MINUTE * 2 + 10 && !limited; i++) {
      const r = await upgrade(key);
      if ('ws' in r) r.ws.close();
      else limited = r;
    }
    expect(limited).not.toBeNull();
    const r = limited as unknown as Refusal;
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('rate_limited');
    expect(r.body.error.details).toMatchObject({
      limit: 'connect_rate',
      max: STANDARD_CONNECTS_PER_MINUTE,
      windowSeconds: 60,
    });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(r.headers['ratelimit-limit']).toBe(String(STANDARD_CONNECTS_PER_MINUTE));

    // A browser cannot read a refused upgrade's status: its ticket socket opens, is told why and closes.
    const ws = new WebSocket(url);
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(d.toString()));
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(4008);
    expect(JSON.parse(frames[0] ?? '{}')).toMatchObject({ type: 'error', code: 'rate_limited' });

    // The stream's budget is its own: the key's REST requests still answer.
    expect((await call('/api/v1/symbols', { key })).status).toBe(200);
  });

  it('the load-test key `npm start` prints is a `read` key on the `high` tier, and it streams', async () => {
    const k = inject('keys').find((x) => x.name === 'demo-loadtest');
    expect(k).toMatchObject({ scopes: ['read'], tier: 'high' });
    const s = await TestSocket.open({ key: k?.key ?? '' });
    open.push(s);
    s.send({ type: 'subscribe', symbols: ['AAPL'], bars: 0 });
    await s.next('snapshot');
  });
});

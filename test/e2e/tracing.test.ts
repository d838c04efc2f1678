import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort, preparePlatform, type RunningPlatform, startWrangler } from '../../scripts/lib/platform';

/** One structured log line: an object of fields. */
const LogLine = z.record(z.string(), z.unknown());

/**
 * Its own wrangler dev (not the shared one), configured with a Sentry DSN pointing at a local
 * HTTP server that records envelopes, and a METRICS_TOKEN secret.
 */
const TRACE_ID = '5c1d8f0e2b7a4c3d9e8f7a6b5c4d3e2f';
const METRICS_TOKEN = 'e2e-metrics-token-6b1f0c9a2d';
const envelopes: Array<{ url: string; body: string }> = [];
let sentry: Server;
let platform: RunningPlatform;
let persistTo: string;
let adminKey: string;

beforeAll(async () => {
  sentry = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      envelopes.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => sentry.listen(0, '127.0.0.1', r));
  const sentryPort = (sentry.address() as AddressInfo).port;
  persistTo = mkdtempSync(join(tmpdir(), 'skippy-e2e-sentry-'));
  const seed = await preparePlatform(persistTo);
  const admin = seed.keys.find((k) => k.scopes.includes('admin'));
  if (!admin) throw new Error('no admin demo key');
  adminKey = admin.key;
  platform = await startWrangler({
    port: await freePort(),
    persistTo,
    vars: {
      SIMULATOR_ENABLED: 'false',
      SENTRY_DSN: `http://public@127.0.0.1:${sentryPort}/1`,
      METRICS_TOKEN,
    },
    timeoutMs: 120_000,
  });
});

afterAll(async () => {
  await platform?.stop();
  await new Promise((r) => sentry?.close(r));
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${platform.url}${path}`, { headers });

describe('Sentry, tracing and the metrics token under wrangler dev', () => {
  it('reports an internal error to Sentry with the trace id, release and route, without secrets', async () => {
    const res = await get('/api/v1/admin/debug/error', {
      authorization: `Bearer ${adminKey}`,
      cookie: 'session=do-not-send',
      traceparent: `00-${TRACE_ID}-a1b2c3d4e5f60718-01`,
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-trace-id')).toBe(TRACE_ID);
    const body = (await res.json()) as { error: { code: string; traceId: string; message: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.traceId).toBe(TRACE_ID);
    expect(body.error.message).not.toContain('Deliberate');

    for (let i = 0; i < 100 && envelopes.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(envelopes).toHaveLength(1);
    const envelope = envelopes[0]!;
    expect(envelope.url).toMatch(/^\/api\/1\/envelope\//);
    expect(envelope.body).not.toContain(adminKey);
    expect(envelope.body).not.toContain('do-not-send');
    const event = envelope.body
      .split('\n')
      .filter(Boolean)
      .map((l) => LogLine.parse(JSON.parse(l)))
      .find((item) => 'exception' in item);
    expect(event).toMatchObject({
      release: 'skippy@0.1.0+dev',
      environment: 'local',
      tags: { trace_id: TRACE_ID, route: '/api/v1/admin/debug/error' },
      contexts: { trace: { trace_id: TRACE_ID } },
      exception: {
        values: [expect.objectContaining({ value: expect.stringContaining('Deliberate internal error') })],
      },
    });
  });

  it('does not report client errors', async () => {
    const before = envelopes.length;
    expect((await get('/api/v1/symbols')).status).toBe(401);
    expect((await get('/api/v1/nothing', { authorization: `Bearer ${adminKey}` })).status).toBe(404);
    // A later internal error proves the pipe works, so its envelope arriving alone shows the 4xx sent none.
    const marker = 'f'.repeat(16) + '0'.repeat(15) + '1';
    const res = await get('/api/v1/admin/debug/error', {
      authorization: `Bearer ${adminKey}`,
      traceparent: `00-${marker}-a1b2c3d4e5f60718-01`,
    });
    expect(res.status).toBe(500);
    const arrived = () => envelopes.some((e) => e.body.includes(marker));
    for (let i = 0; i < 100 && !arrived(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(arrived()).toBe(true);
    expect(envelopes).toHaveLength(before + 1);
  });

  it('lets Prometheus scrape with the METRICS_TOKEN secret, and only with it', async () => {
    const ok = await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('skippy_http_requests_total{');
    expect((await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` })).status).toBe(401);
  });
});

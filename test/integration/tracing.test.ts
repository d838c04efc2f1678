import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTraceparent, traceField, traceFromField, traceHeaders } from '../../platform/trace';
import worker from '../../workers/index';
import { api, captureLogs, LogLine, makeKey } from './helpers';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
let readKey: string;

beforeAll(async () => {
  readKey = await makeKey(['read']);
});
afterEach(() => vi.restoreAllMocks());

describe('trace context', () => {
  it('continues an incoming traceparent and answers with its trace id, also in error bodies', async () => {
    const ok = await api('/api/health', { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` } });
    expect(ok.headers.get('x-trace-id')).toBe(TRACE_ID);
    const err = await api('/api/v1/nothing-here', {
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    });
    expect(err.status).toBe(404);
    expect(err.headers.get('x-trace-id')).toBe(TRACE_ID);
    expect(((await err.json()) as { error: { traceId: string } }).error.traceId).toBe(TRACE_ID);
  });

  it('starts a fresh trace for a missing or malformed traceparent', async () => {
    const res = await api('/api/health', { headers: { traceparent: '00-zzzz-not-valid-01' } });
    const id = res.headers.get('x-trace-id');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(id).not.toBe(TRACE_ID);
  });

  it('propagates into Durable Object calls and Queue messages as a child span of the same trace', () => {
    const parent = { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', sampled: true };
    const header = parseTraceparent(traceHeaders(parent).traceparent);
    expect(header?.traceId).toBe(TRACE_ID);
    expect(header?.spanId).not.toBe(parent.spanId);
    const field = traceField(parent);
    expect(traceFromField(field).traceId).toBe(TRACE_ID);
    expect(traceFromField(JSON.parse(JSON.stringify({ trace: field })).trace).traceId).toBe(TRACE_ID);
    expect(traceFromField(undefined).traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceFromField(42).traceId).not.toBe(TRACE_ID);
  });
});

describe('request logs', () => {
  it('writes one structured JSON line per request with trace id, route, status and duration, never the key', async () => {
    const lines = captureLogs();
    // The test bindings run at LOG_LEVEL=error to keep output readable; this request logs at info.
    const res = await worker.fetch(
      new Request('http://skippy.test/api/v1/symbols/ZZZ9', {
        headers: {
          authorization: `Bearer ${readKey}`,
          traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01`,
          cookie: 'session=abc',
        },
      }) as Request<unknown, IncomingRequestCfProperties>,
      { ...env, LOG_LEVEL: 'info' },
      createExecutionContext(),
    );
    const requestLines = lines
      .map((l) => LogLine.parse(JSON.parse(l)))
      .filter((l) => l.message === 'request' && l.traceId === TRACE_ID);
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: res.status >= 500 ? 'error' : res.status >= 400 ? 'warn' : 'info',
      method: 'GET',
      route: '/api/v1/symbols/:symbol',
      status: res.status,
      durationMs: expect.any(Number),
      time: expect.any(String),
    });
    const all = lines.join('\n');
    expect(all).not.toContain(readKey);
    expect(all).not.toContain('session=abc');
  });
});

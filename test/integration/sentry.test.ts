import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../workers/app';
import { LogLine, makeKey } from './helpers';

const DSN = 'https://publickey@sentry.skippy.test/42';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
let adminKey: string;

beforeAll(async () => {
  adminKey = await makeKey(['admin']);
});
afterEach(() => vi.restoreAllMocks());

/** Calls the debug error route with `vars` over the real bindings; returns the response and what was sent to Sentry. */
async function triggerError(vars: Record<string, string>) {
  const realFetch = globalThis.fetch;
  const sent: Array<{ url: string; body: string }> = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('https://sentry.skippy.test/')) return realFetch(input, init);
    sent.push({ url, body: await new Response(init?.body).text() });
    return new Response('{}', { status: 200 });
  });
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request('http://skippy.test/api/v1/admin/debug/error?limit=5&token=hunter2', {
      headers: {
        authorization: `Bearer ${adminKey}`,
        cookie: 'session=secret-cookie',
        'x-api-key': 'sk_should_never_leave',
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
        'user-agent': 'sentry-test',
      },
    }),
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { res, sent };
}

describe('Sentry reporting (toucan-js)', () => {
  it('reports an unhandled error with trace id, release and route, and scrubs secrets', async () => {
    const { res, sent } = await triggerError({ SENTRY_DSN: DSN });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string; traceId: string } };
    expect(body.error).toEqual({ code: 'internal', message: expect.any(String), traceId: TRACE_ID });
    expect(JSON.stringify(body)).not.toContain('Deliberate');

    expect(sent).toHaveLength(1);
    const envelope = sent[0]!;
    expect(envelope.url).toContain('/api/42/envelope/');
    expect(envelope.body).not.toContain(adminKey);
    expect(envelope.body).not.toContain('secret-cookie');
    expect(envelope.body).not.toContain('sk_should_never_leave');
    expect(envelope.body).not.toContain('hunter2');
    const items = envelope.body
      .split('\n')
      .filter(Boolean)
      .map((l) => LogLine.parse(JSON.parse(l)));
    const event = items.find((i) => 'exception' in i) as {
      release: string;
      environment: string;
      tags: Record<string, string>;
      contexts: { trace: { trace_id: string } };
      exception: { values: Array<{ value: string }> };
      request: { headers: Record<string, string>; url: string };
    };
    expect(event.release).toBe('skippy@0.1.0+dev');
    expect(event.environment).toBe('local');
    expect(event.tags).toMatchObject({ trace_id: TRACE_ID, route: '/api/v1/admin/debug/error' });
    expect(event.contexts.trace.trace_id).toBe(TRACE_ID);
    expect(event.exception.values[0]?.value).toContain('Deliberate internal error');
    expect(
      Object.keys(event.request.headers)
        .map((h) => h.toLowerCase())
        .sort(),
    ).toEqual(['traceparent', 'user-agent']);
  });

  it('sends nothing when SENTRY_DSN is unset', async () => {
    const off = await triggerError({});
    expect(off.res.status).toBe(500);
    expect(off.sent).toHaveLength(0);
  });

  it('keeps the debug route out of production', async () => {
    const { res, sent } = await triggerError({ SENTRY_DSN: DSN, ENVIRONMENT: 'production' });
    expect(res.status).toBe(404);
    expect(sent).toHaveLength(0);
  });
});

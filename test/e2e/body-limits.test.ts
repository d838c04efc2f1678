import { describe, expect, it } from 'vitest';
import { call, demoKey } from './helpers';

/**
 * Oversized and hostile bodies through the real `wrangler dev` (its local proxy in front of
 * workerd), where a 9 MiB CSV import used to come back as a 500 (issue 15, finding 6).
 */

const MiB = 1024 * 1024;

function csvOf(bytes: number): string {
  const header = 'Date,Open,High,Low,Close,Volume\n';
  const row = '2020-01-02,100.5,101.25,99.75,100.75,123456\n';
  return header + row.repeat(Math.ceil((bytes - header.length) / row.length));
}

/** A body streamed in 64 KiB chunks with no Content-Length (chunked transfer). */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
    },
  });
}

async function expect413(res: Response, maxBytes: number): Promise<void> {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(413);
  const body = JSON.parse(text) as { error: { code: string; details: unknown; traceId: string } };
  expect(body.error.code).toBe('payload_too_large');
  expect(body.error.details).toEqual({ maxBytes });
  expect(body.error.traceId).toBe(res.headers.get('x-trace-id'));
}

describe('body limits through wrangler dev', () => {
  it('a 9 MiB CSV import is a clean 413 in the error shape (was a 500 from the local proxy)', async () => {
    const res = await call('/api/v1/ingest/bars?symbol=AAPL&timeframe=1d', {
      method: 'POST',
      key: demoKey('ingest'),
      headers: { 'content-type': 'text/csv' },
      body: csvOf(9 * MiB),
    });
    await expect413(res, 8 * MiB);
  });

  it('the same upload without a Content-Length (chunked) is a 413 too', async () => {
    const res = await call('/api/v1/ingest/bars?symbol=AAPL&timeframe=1d', {
      method: 'POST',
      key: demoKey('ingest'),
      headers: { 'content-type': 'text/csv' },
      body: chunked(csvOf(9 * MiB)),
      duplex: 'half',
    } as RequestInit);
    await expect413(res, 8 * MiB);
  });

  it('a JSON body over 1 MiB is 413, and the platform answers normally afterwards', async () => {
    const res = await call('/api/v1/backtests', {
      method: 'POST',
      key: demoKey('trade'),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2 * MiB) }),
    });
    await expect413(res, MiB);
    expect((await call('/api/health')).status).toBe(200);
  });

  it('a rule set nested 50,000 deep is 400 naming the depth limit, not a 500', async () => {
    const depth = 50_000;
    const leaf = '{"left":{"price":"close"},"op":">","right":1}';
    const rules = `{"long":{"entry":${'{"all":['.repeat(depth)}${leaf}${']}'.repeat(depth)}}}`;
    const res = await call('/api/v1/backtests', {
      method: 'POST',
      key: demoKey('trade'),
      headers: { 'content-type': 'application/json' },
      body: `{"data":{"symbol":"AAPL"},"strategy":{"rules":${rules}}}`,
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toContain('32');
  });
});

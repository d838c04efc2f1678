import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, injectFaults, json, makeKey, seedSymbols } from './helpers';

/**
 * D1 read replication through the Sessions API, as far as local D1 shows it: local D1 is one
 * SQLite database (no replicas), so every read is on the primary and read-your-writes holds
 * trivially; what this suite proves is the plumbing: bookmarks are issued, travel back in
 * `x-d1-bookmark`, start the next request's session (bypassing caches that may be older), are
 * validated, and session reads keep the D1 breaker, fault injection and error mapping.
 */

let readKey: string;
let ingestKey: string;
let adminKey: string;

beforeAll(async () => {
  await seedSymbols();
  [readKey, ingestKey, adminKey] = await Promise.all([
    makeKey(['read']),
    makeKey(['ingest']),
    makeKey(['admin']),
  ]);
});

const csv = (close: number) =>
  [
    'Date,Open,High,Low,Close,Volume',
    `2019-06-03,10,20,5,${close},100`,
    `2019-06-04,10,20,5,${close},100`,
  ].join('\n');

const importBars = (close: number, bookmark?: string) =>
  api('/api/v1/ingest/bars?symbol=MSFT&timeframe=1d', {
    method: 'POST',
    key: ingestKey,
    headers: { 'content-type': 'text/csv', ...(bookmark ? { 'x-d1-bookmark': bookmark } : {}) },
    body: csv(close),
  });

/** Reads June 2019; `fresh` sends `Cache-Control: no-cache` (a D1 read, so a bookmark comes back). */
const readBars = (bookmark?: string, opts: { fresh?: boolean; month?: string } = {}) =>
  api(`/api/v1/bars/MSFT?timeframe=1d&from=${opts.month ?? '2019-06'}-01&to=${opts.month ?? '2019-06'}-28`, {
    key: readKey,
    headers: {
      ...(bookmark ? { 'x-d1-bookmark': bookmark } : {}),
      ...(opts.fresh ? { 'cache-control': 'no-cache' } : {}),
    },
  });

const closes = async (res: Response) =>
  (await json<{ data: Array<{ c: number }> }>(res)).data.map((b) => b.c);

describe('D1 sessions on the read paths', () => {
  it('gives a read the bookmark of the session it ran in', async () => {
    const res = await readBars(undefined, { month: '2019-05' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-d1-bookmark')).toMatch(/^[0-9a-f]{8}(-[0-9a-f]+)+$/);
  });

  it('reads its own write: an import’s bookmark makes the next read see it, past a cached older copy', async () => {
    expect((await importBars(11)).status).toBe(200);
    // This read fills the caches (isolate memory and KV) with closes of 11.
    expect(await closes(await readBars(undefined, { fresh: true }))).toEqual([11, 11]);

    const write = await importBars(12);
    expect(write.status).toBe(200);
    const written = write.headers.get('x-d1-bookmark');
    expect(written).toBeTruthy();

    // Without the bookmark the fresh cached copy may answer (eventual, like a replica)…
    expect(await closes(await readBars())).toEqual([11, 11]);
    // …with it, the session starts at the write and the cache is bypassed.
    const after = await readBars(written!);
    expect(await closes(after)).toEqual([12, 12]);
    // Bookmarks sort by time: the read's session is at least as new as the write.
    expect(after.headers.get('x-d1-bookmark')! >= written!).toBe(true);
  });

  it('keeps writes on the primary: a write’s bookmark is newer than the bookmark it started from', async () => {
    const before = (await readBars(undefined, { fresh: true })).headers.get('x-d1-bookmark')!;
    expect(before).toBeTruthy();
    const write = await importBars(13, before);
    expect(write.status).toBe(200);
    expect(write.headers.get('x-d1-bookmark')! > before).toBe(true);
  });

  it('issues bookmarks on backtest and prediction reads too', async () => {
    const tradeKey = await makeKey(['trade']);
    const res = await api('/api/v1/backtests?limit=1', { key: tradeKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-d1-bookmark')).toMatch(/^[0-9a-f]{8}-/);
  });

  it.each([
    'not-a-bookmark',
    'first-primary',
    `${'a'.repeat(8)}-${'b'.repeat(300)}`,
    '0000000a-0000000b; DROP TABLE bars',
  ])('refuses a malformed bookmark %s with 400 naming the header', async (bad) => {
    const res = await readBars(bad);
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: Array<{ path: string }> } }>(res);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details[0]!.path).toBe('x-d1-bookmark');
  });

  it('keeps the D1 breaker’s fault injection and stale fallback for session reads', async () => {
    const bookmark = (await readBars(undefined, { fresh: true })).headers.get('x-d1-bookmark')!;
    expect((await injectFaults(adminKey, { d1ErrorRate: 1, durationSeconds: 60 })).status).toBe(200);
    try {
      // A window read before: the failed session read falls back to the kept copy, marked stale.
      const stale = await readBars(bookmark);
      expect(stale.status).toBe(200);
      expect(await json(stale)).toMatchObject({ stale: true });
      // A window never read: nothing to fall back to, so the dependency failure is a 503.
      const none = await readBars(bookmark, { month: '2018-02' });
      expect(none.status).toBe(503);
      expect((await json<{ error: { code: string } }>(none)).error.code).toBe('dependency_failed');
    } finally {
      await api('/api/v1/admin/faults', { method: 'DELETE', key: adminKey });
    }
  });

  it('leaves code outside a request session on the primary binding', async () => {
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM bars WHERE symbol = 'MSFT'").first<{
      n: number;
    }>();
    expect(row!.n).toBeGreaterThanOrEqual(2);
  });
});

import { createRoute, z } from '@hono/zod-openapi';
import { openPublisherSocket } from '../../durable-objects/ingest-session/client';
import { ingestTicks } from '../../durable-objects/symbol-room/client';
import { type OhlcvRow, rowsFromSeries } from '../../engine/data/bars';
import { type CsvOptions, parseOhlcvCsv, parseTime, timeRange } from '../../engine/data/csv';
import { invalidate, kvKey } from '../../platform/cache';
import { ApiError, zodIssues } from '../../platform/errors';
import { importBars } from '../../platform/market/market-data';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { errorResponses } from '../../schema/contracts/common';
import {
  BarsImportJson,
  BarsImportQuery,
  BarsImportResult,
  IMPORT_MAX_AHEAD_MS,
  TickBatch,
  TickIngestResult,
} from '../../schema/contracts/ingest';
import { refuseForeignOrigin } from '../middleware/socket-origin';
import { createRouter } from '../router';

export const MAX_CSV_BYTES = 8 * 1024 * 1024;

export const ingestRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/ticks',
      tags: ['ingest'],
      summary:
        'A batch of up to 1,000 trades and quotes from a feed relay; idempotent on (symbol, sourceId).',
      security: [{ bearer: [] }],
      request: { body: { required: true, content: { 'application/json': { schema: TickBatch } } } },
      responses: {
        200: {
          description: 'Sequenced; duplicates counted and dropped',
          content: { 'application/json': { schema: TickIngestResult } },
        },
        ...errorResponses(400, 401, 403, 404, 413, 429, 503),
      },
    }),
    async (c) => {
      const { ticks } = c.req.valid('json');
      const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
      return c.json(await ingestTicks(c.env, waitUntil, ticks, c.get('traceId')), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/stream',
      tags: ['ingest'],
      summary:
        'Publisher WebSocket (`ingest` scope): send `{"type":"ticks","id","ticks":[…]}` frames, each answered by id with `ack` or `error` (docs/streaming.md).',
      security: [{ bearer: [] }],
      responses: {
        101: { description: 'Switching protocols; frames in docs/streaming.md ("Publishing").' },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
        throw new ApiError('bad_request', 'Expected a WebSocket upgrade (`Upgrade: websocket`).');
      refuseForeignOrigin(c.req.raw, c.env, 'a publisher socket');
      const principal = c.get('principal');
      if (!principal) throw new ApiError('unauthorized', 'An API key is required.');
      const res = await openPublisherSocket(c.env, principal);
      if (res.status !== 101 || !res.webSocket)
        throw new ApiError(
          'upstream_unavailable',
          'The publisher socket could not be opened; retry shortly.',
        );
      return new Response(null, { status: 101, webSocket: res.webSocket });
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/bars',
      tags: ['ingest'],
      summary:
        'Import history as CSV (`text/csv`, header Date,Open,High,Low,Close,Volume; symbol and timeframe in the query) or JSON. A bad row rejects the whole request.',
      security: [{ bearer: [] }],
      request: {
        query: BarsImportQuery,
        // Not `required`: @hono/zod-openapi would then validate every body as JSON, CSV included.
        // The handler parses each content type itself.
        body: {
          required: false,
          content: {
            'application/json': { schema: BarsImportJson },
            'text/csv': {
              schema: z
                .string()
                .openapi({ example: 'Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9.5,10.5,1000' }),
            },
          },
        },
      },
      responses: {
        200: { description: 'Imported', content: { 'application/json': { schema: BarsImportResult } } },
        ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      let symbol: string;
      let timeframe: '1m' | '1d';
      let rows: OhlcvRow[];
      if (contentType === 'text/csv') {
        const q = c.req.valid('query');
        if (!q.symbol || !q.timeframe) {
          throw new ApiError(
            'validation_failed',
            'CSV imports need `symbol` and `timeframe` query parameters.',
            {
              details: [
                ...(q.symbol ? [] : [{ path: 'symbol', message: 'Required' }]),
                ...(q.timeframe ? [] : [{ path: 'timeframe', message: 'Required' }]),
              ],
            },
          );
        }
        symbol = q.symbol;
        timeframe = q.timeframe;
        const parsed = parseOhlcvCsv(await c.req.text(), importTimeRange());
        if (!parsed.ok) {
          throw new ApiError(
            'validation_failed',
            `CSV rejected: ${parsed.errors.length} bad row(s); nothing was imported.`,
            {
              details: parsed.errors.slice(0, 100),
            },
          );
        }
        rows = rowsFromSeries(parsed.series);
      } else if (contentType === 'application/json') {
        const body = BarsImportJson.safeParse(await c.req.json().catch(() => undefined));
        if (!body.success)
          throw new ApiError('validation_failed', 'Invalid bars import.', {
            details: zodIssues(body.error.issues),
          });
        symbol = body.data.symbol;
        timeframe = body.data.timeframe;
        rows = jsonRows(body.data.bars, importTimeRange());
      } else {
        throw new ApiError('unsupported_media_type', 'Send `text/csv` or `application/json`.');
      }
      await requireKnownSymbol(c.env, (p) => c.executionCtx.waitUntil(p), symbol);
      validateAlignment(rows, timeframe);
      await importBars(c.env, symbol, timeframe, rows);
      await invalidate(c.env.CACHE, kvKey.symbol(symbol)).catch(() => {});
      return c.json(
        { symbol, timeframe, imported: rows.length, from: rows[0]!.time, to: rows.at(-1)!.time },
        200,
      );
    },
  );

/** The times an import may carry: 1970-01-01 up to a day ahead of now (docs/market-data.md). */
function importTimeRange(): Required<CsvOptions> {
  return { minTime: 0, maxTime: Date.now() + IMPORT_MAX_AHEAD_MS };
}

/**
 * Checks JSON bars the way the CSV parser checks rows (same date formats, same rules) and
 * rejects the whole import with every problem's row number.
 */
function jsonRows(
  input: ReadonlyArray<{
    time: number | string;
    open: number;
    high: number;
    low: number;
    close: number;
    volume: number;
  }>,
  range: Required<CsvOptions>,
): OhlcvRow[] {
  const errors: Array<{ row: number; reason: string }> = [];
  let previous = Number.NEGATIVE_INFINITY;
  const rows = input.map((b, i) => {
    const row = i + 1;
    const time = typeof b.time === 'number' ? b.time : parseTime(b.time.trim());
    if (time === null) errors.push({ row, reason: `unparseable time ${JSON.stringify(b.time)}` });
    else if (time < range.minTime || time > range.maxTime)
      errors.push({ row, reason: `time is outside ${timeRange(range.minTime, range.maxTime)}` });
    else if (time <= previous) errors.push({ row, reason: 'time is not after the previous row' });
    if (b.high < Math.max(b.open, b.close) || b.low > Math.min(b.open, b.close)) {
      errors.push({ row, reason: 'high/low do not contain open and close' });
    }
    // An out-of-range time is reported once, not again as out of order on the next row.
    if (time !== null && time >= range.minTime && time <= range.maxTime) previous = time;
    return {
      time: time ?? Number.NaN,
      open: b.open,
      high: b.high,
      low: b.low,
      close: b.close,
      volume: b.volume,
    };
  });
  if (errors.length > 0) {
    throw new ApiError(
      'validation_failed',
      `Bars rejected: ${errors.length} problem(s); nothing was imported.`,
      {
        details: errors.slice(0, 100),
      },
    );
  }
  return rows;
}

/** Daily bars must sit on UTC midnight and minute bars on whole minutes, or aggregation would misplace them. */
function validateAlignment(rows: OhlcvRow[], timeframe: '1m' | '1d'): void {
  const step = timeframe === '1d' ? 86_400_000 : 60_000;
  const bad = rows.findIndex((r) => r.time % step !== 0);
  if (bad >= 0) {
    throw new ApiError(
      'validation_failed',
      `Row ${bad + 1}: a ${timeframe} bar must start on a whole ${timeframe === '1d' ? 'UTC day' : 'minute'}.`,
      {
        details: [{ row: bad + 1, reason: 'misaligned timestamp' }],
      },
    );
  }
}

import { z } from '@hono/zod-openapi';
import { SymbolCodeShape } from './symbol-code';
import { TIMEFRAMES } from './timeframes';

/** Exchange-style tickers (symbol-code.ts), with their OpenAPI example. */
export const SymbolCode = SymbolCodeShape.openapi({ example: 'AAPL' });
export type SymbolCode = z.infer<typeof SymbolCode>;

export const SymbolParam = z.object({
  symbol: SymbolCode.openapi({ param: { name: 'symbol', in: 'path' } }),
});

export const Timeframe = z.enum(TIMEFRAMES).openapi({ example: '1d' });
export type Timeframe = z.infer<typeof Timeframe>;

/** Earliest time any time field accepts: 1900-01-01T00:00:00Z (history older than any listed market). */
export const TIME_MIN_MS = Date.UTC(1900, 0, 1);
/** Latest time any time field accepts: 2100-01-01T00:00:00Z (a bound, not a business rule). */
export const TIME_MAX_MS = Date.UTC(2100, 0, 1);
const TIME_RANGE = `between ${new Date(TIME_MIN_MS).toISOString()} and ${new Date(TIME_MAX_MS).toISOString()}`;

/**
 * Epoch milliseconds within [{@link TIME_MIN_MS}, {@link TIME_MAX_MS}]: every time a client sends
 * is bounded, so no later `new Date(t).toISOString()` can throw on 9e15 and no query spans
 * millennia.
 */
export const EpochMs = z
  .number()
  .int()
  .min(TIME_MIN_MS, `time must be ${TIME_RANGE} (epoch ms)`)
  .max(TIME_MAX_MS, `time must be ${TIME_RANGE} (epoch ms)`);

/** Accepts epoch milliseconds or an ISO-8601 date/time within the same range; yields epoch milliseconds. */
export const Instant = z
  .union([
    z.coerce.number().int(),
    z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
    z.iso.date().transform((s) => Date.parse(`${s}T00:00:00Z`)),
  ])
  .refine((t) => t >= TIME_MIN_MS && t <= TIME_MAX_MS, `time must be ${TIME_RANGE}`)
  .openapi({
    type: 'string',
    example: '2026-01-02T00:00:00Z',
    description: `Epoch milliseconds or ISO-8601, ${TIME_RANGE}.`,
  });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.unknown().optional(),
      traceId: z.string().openapi({ example: '4bf92f3577b34da6a3ce929d0e0e4736' }),
    }),
  })
  .openapi('Error');

export function errorResponses(...codes: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503>) {
  const descriptions: Record<number, string> = {
    400: 'Invalid input',
    401: 'Missing or invalid API key',
    403: 'Key lacks the required scope',
    404: 'Not found',
    409: 'Conflict',
    413: 'Body too large',
    415: 'Unsupported content type',
    422: 'Well-formed but not processable',
    429: 'Rate limited',
    503: 'A dependency is unavailable',
  };
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: descriptions[code]!, content: { 'application/json': { schema: ErrorBody } } },
    ]),
  );
}

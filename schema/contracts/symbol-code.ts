import { z } from 'zod';

/**
 * Exchange-style tickers: upper-case letters, digits, `.` and `-` (BRK.B, BTC-USD). Plain zod, so
 * contracts that travel to browsers and bots (the stream protocol) carry no OpenAPI extension;
 * `common.ts` adds the OpenAPI metadata for the REST document.
 */
export const SymbolCodeShape = z
  .string()
  .regex(
    /^[A-Z0-9][A-Z0-9.-]{0,14}$/,
    'Symbol must be 1–15 characters of A–Z, 0–9, "." or "-", starting with a letter or digit.',
  );

import { d1Execute } from './platform';

/** A stored bar that breaks the bar invariants, and which rule it breaks first. */
export interface InvalidBar {
  symbol: string;
  timeframe: string;
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  problem: string;
}

// The largest finite double: SQLite stores an overflowed value as Inf, which compares above it.
const FINITE = '1.7976931348623157e308';

/**
 * Every bar must have finite positive prices, low ≤ open, close ≤ high and a finite volume
 * ≥ 0 (docs/market-data.md); the same rules as engine/market/bar-merge.ts `barViolation`.
 */
const PROBLEM = `CASE
    WHEN typeof(open) NOT IN ('real','integer') OR typeof(high) NOT IN ('real','integer')
      OR typeof(low) NOT IN ('real','integer') OR typeof(close) NOT IN ('real','integer')
      OR typeof(volume) NOT IN ('real','integer') THEN 'not a number'
    WHEN NOT (open > 0 AND high > 0 AND low > 0 AND close > 0) THEN 'price not positive'
    WHEN NOT (open <= ${FINITE} AND high <= ${FINITE} AND low <= ${FINITE} AND close <= ${FINITE}) THEN 'price not finite'
    WHEN NOT (volume >= 0 AND volume <= ${FINITE}) THEN 'volume negative or not finite'
    WHEN low > open OR low > close THEN 'low above open or close'
    WHEN high < open OR high < close THEN 'high below open or close'
  END`;

/** SQL listing invalid bars (at most `limit`), oldest first. */
export function invalidBarsSql(limit: number): string {
  return `SELECT symbol, timeframe, ts, open, high, low, close, volume, problem FROM
    (SELECT *, ${PROBLEM} AS problem FROM bars) WHERE problem IS NOT NULL
    ORDER BY symbol, timeframe, ts LIMIT ${Math.max(1, Math.floor(limit))}`;
}

/** SQL counting invalid bars and all bars. */
export const COUNT_BARS_SQL = `SELECT COUNT(*) AS total,
  COALESCE(SUM(CASE WHEN (${PROBLEM}) IS NOT NULL THEN 1 ELSE 0 END), 0) AS invalid FROM bars`;

/** Invalid bars of the local database under `persistTo` (wrangler's `--persist-to`). */
export async function checkLocalBars(
  persistTo: string,
  limit = 50,
): Promise<{ total: number; invalid: number; examples: InvalidBar[] }> {
  const [counts] = (await d1Execute(persistTo, { command: COUNT_BARS_SQL })) as Array<{
    results: Array<{ total: number; invalid: number }>;
  }>;
  const total = counts?.results[0]?.total ?? 0;
  const invalid = counts?.results[0]?.invalid ?? 0;
  if (invalid === 0) return { total, invalid, examples: [] };
  const [rows] = (await d1Execute(persistTo, { command: invalidBarsSql(limit) })) as Array<{
    results: InvalidBar[];
  }>;
  return { total, invalid, examples: rows?.results ?? [] };
}

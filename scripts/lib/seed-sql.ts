import { CATALOG } from '../../engine/market/catalog';
import { generateHistory } from '../../engine/market/history';

/** Rows per INSERT: large statements load fast in SQLite and stay far below its statement limit. */
const ROWS_PER_INSERT = 500;

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'NULL';
}

function str(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * SQL that seeds the demo market: every catalogue symbol, 2 years of daily bars and 30 days of
 * 1-minute bars ending at `end`. Deterministic for a given `end` and seed.
 */
export function seedSql(end: number, seed = 42): { sql: string; daily: number; minute: number } {
  const parts: string[] = [];
  const now = Date.now();
  parts.push(
    'INSERT OR IGNORE INTO symbols (symbol, name, asset_class, exchange, currency, tick_size, lot_size, session, timezone, active, created_at) VALUES\n' +
      CATALOG.map(
        (s) =>
          `(${str(s.symbol)}, ${str(s.name)}, ${str(s.assetClass)}, ${str(s.exchange)}, ${str(s.currency)}, ${num(s.tickSize)}, ${num(s.lotSize)}, ${str(s.session)}, ${str(s.timezone)}, 1, ${now})`,
      ).join(',\n') +
      ';',
  );
  let daily = 0;
  let minute = 0;
  for (const spec of CATALOG) {
    const h = generateHistory(spec, { end, seed });
    for (const [tf, rows] of [
      ['1d', h.daily],
      ['1m', h.minute],
    ] as const) {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        parts.push(
          'INSERT OR IGNORE INTO bars (symbol, timeframe, ts, open, high, low, close, volume) VALUES\n' +
            chunk
              .map(
                (b) =>
                  `(${str(spec.symbol)},'${tf}',${b.time},${num(b.open)},${num(b.high)},${num(b.low)},${num(b.close)},${num(b.volume)})`,
              )
              .join(',\n') +
            ';',
        );
      }
      if (tf === '1d') daily += rows.length;
      else minute += rows.length;
    }
  }
  return { sql: parts.join('\n'), daily, minute };
}

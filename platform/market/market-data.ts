import { and, asc, desc, eq, gte, lte, sql } from 'drizzle-orm';
import type { OhlcvRow } from '../../engine/data/bars';
import { aggregateBars } from '../../engine/market/aggregate';
import type { Timeframe } from '../../schema/contracts/common';
import type { Quote, SymbolInfo } from '../../schema/contracts/market';
import { TIMEFRAME_MS } from '../../schema/contracts/timeframes';
import { bars, ohlcvColumns, quotes, symbols } from '../../schema/tables';
import { withD1 } from '../d1/d1';

/** Stored timeframe a requested one is read from. */
export function sourceTimeframe(tf: Timeframe): '1m' | '1d' {
  return tf === '1d' ? '1d' : '1m';
}

export async function listSymbols(env: Env): Promise<SymbolInfo[]> {
  const rows = await withD1(env, 'symbols.list', (db) =>
    db.select().from(symbols).orderBy(asc(symbols.symbol)).all(),
  );
  return rows.map(toSymbolInfo);
}

export async function getSymbol(env: Env, symbol: string): Promise<SymbolInfo | null> {
  const row = await withD1(env, 'symbols.get', (db) =>
    db.select().from(symbols).where(eq(symbols.symbol, symbol)).get(),
  );
  return row ? toSymbolInfo(row) : null;
}

function toSymbolInfo(r: typeof symbols.$inferSelect): SymbolInfo {
  return {
    symbol: r.symbol,
    name: r.name,
    assetClass: r.assetClass,
    exchange: r.exchange,
    currency: r.currency,
    tickSize: r.tickSize,
    lotSize: r.lotSize,
    session: r.session,
    timezone: r.timezone,
    active: r.active,
  };
}

/**
 * The last stored quote of a symbol: the row its room last flushed, or, for a symbol no tick has
 * reached yet (seeded or imported history only), one derived from its newest bars — last price from
 * the latest 1-minute close, the day's figures from today's daily bar, the previous close from the one before.
 */
export async function storedQuote(env: Env, symbol: string): Promise<Quote | null> {
  return withD1(env, 'quotes.get', async (db) => {
    const [row, [lastMinute], days] = await db.batch([
      db.select().from(quotes).where(eq(quotes.symbol, symbol)).limit(1),
      db
        .select()
        .from(bars)
        .where(and(eq(bars.symbol, symbol), eq(bars.timeframe, '1m')))
        .orderBy(desc(bars.ts))
        .limit(1),
      db
        .select()
        .from(bars)
        .where(and(eq(bars.symbol, symbol), eq(bars.timeframe, '1d')))
        .orderBy(desc(bars.ts))
        .limit(2),
    ]);
    const stored = row[0];
    if (stored) {
      const { updatedAt: _updated, ...quote } = stored;
      return quote;
    }
    const [today, previous] = days;
    const latest = lastMinute ?? today;
    if (!latest) return null;
    const sameDay = today && Math.floor(latest.ts / 86_400_000) === Math.floor(today.ts / 86_400_000);
    return {
      symbol,
      seq: 0,
      ts: latest.ts,
      last: latest.close,
      lastSize: null,
      bid: null,
      bidSize: null,
      ask: null,
      askSize: null,
      dayOpen: sameDay ? today.open : null,
      dayHigh: sameDay ? today.high : null,
      dayLow: sameDay ? today.low : null,
      dayVolume: sameDay ? today.volume : null,
      prevClose: (sameDay ? previous?.close : today?.close) ?? null,
    };
  });
}

export interface BarsWindow {
  symbol: string;
  timeframe: Timeframe;
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  /** `forward` reads ascending from `from`; `backward` reads the newest bars up to `to`. */
  direction: 'forward' | 'backward';
}

/**
 * Reads one page of bars (ascending) plus whether more exist beyond it. Timeframes that are not
 * stored are aggregated from 1-minute bars; the window is widened to whole buckets so the
 * first and last aggregated bars are complete.
 */
export async function readBars(env: Env, w: BarsWindow): Promise<{ rows: OhlcvRow[]; more: boolean }> {
  const src = sourceTimeframe(w.timeframe);
  const bucket = TIMEFRAME_MS[w.timeframe];
  const ratio = src === w.timeframe ? 1 : bucket / TIMEFRAME_MS[src];
  // One extra output bar tells whether another page exists; +1 source bucket covers a partial edge.
  const sourceLimit = (w.limit + 1) * ratio + ratio;
  const from = w.from !== undefined ? Math.floor(w.from / bucket) * bucket : undefined;
  const to = w.to;
  const raw = await withD1(env, 'bars.select', (db) => {
    const conds = [eq(bars.symbol, w.symbol), eq(bars.timeframe, src)];
    if (from !== undefined) conds.push(gte(bars.ts, from));
    if (to !== undefined) conds.push(lte(bars.ts, to));
    return db
      .select(ohlcvColumns)
      .from(bars)
      .where(and(...conds))
      .orderBy(w.direction === 'forward' ? asc(bars.ts) : desc(bars.ts))
      .limit(sourceLimit)
      .all();
  });
  const ascending = w.direction === 'forward' ? raw : raw.reverse();
  const truncatedSource = raw.length === sourceLimit;
  let rows = ratio === 1 ? ascending : aggregateBars(ascending, bucket);
  if (ratio > 1 && truncatedSource) {
    // The bucket at the cut edge may be incomplete: drop it, it belongs to the next page.
    rows = w.direction === 'forward' ? rows.slice(0, -1) : rows.slice(1);
  }
  const more = rows.length > w.limit || (truncatedSource && rows.length >= w.limit);
  if (rows.length > w.limit)
    rows = w.direction === 'forward' ? rows.slice(0, w.limit) : rows.slice(rows.length - w.limit);
  return { rows, more };
}

/**
 * Replaces a symbol's bars at the times of `rows` with `rows`, atomically: an import is the
 * authority for the bars it names (docs/market-data.md). Imported bars carry no trade times,
 * so live trades merged into them later take open/close by time from the live side.
 */
export async function importBars(
  env: Env,
  symbol: string,
  timeframe: '1m' | '1d',
  rows: OhlcvRow[],
): Promise<void> {
  await withD1(env, 'bars.import', async (db) => {
    const CHUNK = 10; // D1 binds at most 100 parameters per statement: 8 columns × 10 rows.
    const statements = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const values = rows.slice(i, i + CHUNK).map((r) => ({
        symbol,
        timeframe,
        ts: r.time,
        open: r.open,
        high: r.high,
        low: r.low,
        close: r.close,
        volume: r.volume,
      }));
      statements.push(
        db
          .insert(bars)
          .values(values)
          .onConflictDoUpdate({
            target: [bars.symbol, bars.timeframe, bars.ts],
            set: {
              open: sqlExcluded('open'),
              high: sqlExcluded('high'),
              low: sqlExcluded('low'),
              close: sqlExcluded('close'),
              volume: sqlExcluded('volume'),
              firstTs: sql`NULL`,
              lastTs: sql`NULL`,
            },
          }),
      );
    }
    const [first, ...rest] = statements;
    // db.batch runs as one transaction: the import lands whole or not at all.
    if (first) await db.batch([first, ...rest]);
  });
}

function sqlExcluded(column: string) {
  return sql.raw(`excluded.${column}`);
}

import { integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Instruments the platform knows. A symbol must exist here before ticks or bars for it are accepted. */
export const symbols = sqliteTable('symbols', {
  symbol: text('symbol').primaryKey(),
  name: text('name').notNull(),
  assetClass: text('asset_class', { enum: ['equity', 'crypto', 'fx'] }).notNull(),
  exchange: text('exchange').notNull(),
  currency: text('currency').notNull(),
  tickSize: real('tick_size').notNull(),
  lotSize: real('lot_size').notNull(),
  /** `24x7` or an exchange calendar id such as `XNYS` (09:30–16:00 America/New_York, weekdays). */
  session: text('session').notNull(),
  timezone: text('timezone').notNull(),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: integer('created_at').notNull(),
});

/**
 * OHLCV bars. Only `1m` and `1d` are stored; 5m, 15m and 1h are aggregated from 1m on read.
 * `ts` is the bar's open time in epoch milliseconds UTC.
 */
export const bars = sqliteTable(
  'bars',
  {
    symbol: text('symbol').notNull(),
    timeframe: text('timeframe', { enum: ['1m', '1d'] }).notNull(),
    ts: integer('ts').notNull(),
    open: real('open').notNull(),
    high: real('high').notNull(),
    low: real('low').notNull(),
    close: real('close').notNull(),
    volume: real('volume').notNull(),
    /**
     * Feed times of the bar's first and last trades, written by the live path so that flushes
     * merge in time order (open from the earliest trade, close from the latest). Null for
     * imported or seeded bars: their open/close give way to any bar piece with known times.
     */
    firstTs: integer('first_ts'),
    lastTs: integer('last_ts'),
  },
  (t) => [primaryKey({ columns: [t.symbol, t.timeframe, t.ts] })],
);

/** The bar columns as an engine `OhlcvRow` (`time` rather than `ts`), for `db.select(ohlcvColumns)`. */
export const ohlcvColumns = {
  time: bars.ts,
  open: bars.open,
  high: bars.high,
  low: bars.low,
  close: bars.close,
  volume: bars.volume,
};

/** Last known trade and quote per symbol, written by the symbol's room when it flushes. */
export const quotes = sqliteTable('quotes', {
  symbol: text('symbol').primaryKey(),
  seq: integer('seq').notNull(),
  ts: integer('ts').notNull(),
  last: real('last'),
  lastSize: real('last_size'),
  bid: real('bid'),
  bidSize: real('bid_size'),
  ask: real('ask'),
  askSize: real('ask_size'),
  dayOpen: real('day_open'),
  dayHigh: real('day_high'),
  dayLow: real('day_low'),
  dayVolume: real('day_volume'),
  prevClose: real('prev_close'),
  updatedAt: integer('updated_at').notNull(),
});

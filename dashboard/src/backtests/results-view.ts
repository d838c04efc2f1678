import type { Trade } from '../api/backtests-api';
import { h } from '../lib/dom';
import { formatMoney, formatNumber, formatPct, formatPrice } from '../lib/format';

const MAX_TRADE_ROWS = 500;

function statValue(key: string, v: string | number | null): string {
  if (v === null) return '—';
  // ISO times: drop a midnight time of day (daily bars) and the seconds' fraction.
  if (typeof v === 'string')
    return v
      .replace('T', ' ')
      .replace(/(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/, '')
      .replace(/ 00:00:00$/, '');
  if (key.endsWith('[$]')) return formatMoney(v);
  if (key.endsWith('[%]')) return `${formatNumber(v)} %`;
  if (key.includes('Duration')) return `${formatNumber(v)} d`;
  return formatNumber(v);
}

/** The statistics table, in the order the engine reports them. */
export function statsTable(stats: Record<string, string | number | null>): HTMLElement {
  return h(
    'table',
    { class: 'stats', 'aria-label': 'Backtest statistics', 'data-testid': 'backtest-stats' },
    h(
      'tbody',
      {},
      ...Object.entries(stats).map(([k, v]) =>
        h('tr', { 'data-stat': k }, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, statValue(k, v))),
      ),
    ),
  );
}

/** The trade list (first rows only for very active strategies). */
export function tradesTable(trades: Trade[]): HTMLElement {
  if (trades.length === 0)
    return h('p', { class: 'state state-empty' }, 'The strategy made no closed trades in this range.');
  const shown = trades.slice(0, MAX_TRADE_ROWS);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { 'aria-label': 'Trades', 'data-testid': 'backtest-trades' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Side', 'Size', 'Entry', 'Entry price', 'Exit', 'Exit price', 'P&L', 'Return'].map((c, i) =>
            h('th', { scope: 'col', class: i === 1 || i === 3 || i >= 5 ? 'num' : null }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...shown.map((t) =>
          h(
            'tr',
            {},
            h('td', {}, t.size < 0 ? 'Short' : 'Long'),
            h('td', { class: 'num' }, formatNumber(Math.abs(t.size))),
            h('td', {}, t.entryTime.slice(0, 16).replace('T', ' ')),
            h('td', { class: 'num' }, formatPrice(t.entryPrice)),
            h('td', {}, t.exitTime ? t.exitTime.slice(0, 16).replace('T', ' ') : 'open'),
            h('td', { class: 'num' }, formatPrice(t.exitPrice)),
            h('td', { class: `num ${(t.pnl ?? 0) < 0 ? 'down' : 'up'}` }, formatMoney(t.pnl)),
            h('td', { class: `num ${(t.returnPct ?? 0) < 0 ? 'down' : 'up'}` }, formatPct(t.returnPct)),
          ),
        ),
      ),
    ),
    trades.length > MAX_TRADE_ROWS
      ? h('p', { class: 'muted' }, `Showing the first ${MAX_TRADE_ROWS} of ${trades.length} trades.`)
      : null,
  );
}

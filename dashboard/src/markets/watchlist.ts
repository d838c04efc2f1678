import type { LiveQuote, MarketStore } from '../app/market-store';
import { h } from '../lib/dom';
import { formatPct, formatPrice } from '../lib/format';
import { sparkline } from './sparkline';

interface Row {
  tr: HTMLTableRowElement;
  button: HTMLButtonElement;
  last: HTMLElement;
  change: HTMLElement;
  spark: ReturnType<typeof sparkline>;
  prevLast: number | null;
}

/** The live watchlist: last price, change against the previous close and a sparkline per symbol. */
export function watchlist(store: MarketStore): HTMLElement {
  const rows = new Map<string, Row>();
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'watchlist', 'aria-label': 'Watchlist' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Symbol'),
        h('th', { scope: 'col', class: 'num' }, 'Last'),
        h('th', { scope: 'col', class: 'num' }, 'Change'),
        h('th', { scope: 'col', class: 'spark-col' }, h('span', { class: 'sr-only' }, 'Trend')),
      ),
    ),
    tbody,
  );

  for (const s of store.symbols) {
    const button = h(
      'button',
      {
        type: 'button',
        class: 'symbol-button',
        'data-symbol': s.symbol,
        title: s.name,
        onclick: () => store.select(s.symbol),
      },
      s.symbol,
    );
    const last = h('td', { class: 'num last', 'data-field': 'last' }, '—');
    const change = h('td', { class: 'num change', 'data-field': 'change' }, '—');
    const spark = sparkline(s.symbol);
    const tr = h(
      'tr',
      { 'data-symbol': s.symbol },
      h('th', { scope: 'row' }, button),
      last,
      change,
      h('td', { class: 'spark-col' }, spark.el),
    );
    tbody.append(tr);
    const row: Row = { tr, button, last, change, spark, prevLast: null };
    rows.set(s.symbol, row);
    const q = store.quotes.get(s.symbol);
    if (q) render(row, q);
  }

  const markSelected = () => {
    for (const [symbol, row] of rows) {
      const on = symbol === store.selected;
      row.tr.classList.toggle('selected', on);
      row.button.setAttribute('aria-pressed', String(on));
    }
  };
  markSelected();
  store.on('select', markSelected);
  store.on('quote', (q) => {
    const row = rows.get(q.symbol);
    if (row) render(row, q);
  });

  if (store.symbols.length === 0)
    return h('p', { class: 'empty' }, 'No symbols are configured on this server.');
  return h(
    'section',
    { class: 'card watchlist-card', 'aria-labelledby': 'watchlist-title' },
    h('h2', { id: 'watchlist-title' }, 'Watchlist'),
    table,
  );
}

function render(row: Row, q: LiveQuote): void {
  row.last.textContent = formatPrice(q.last);
  const change = q.last !== null && q.prevClose ? (q.last - q.prevClose) / q.prevClose : null;
  row.change.textContent = formatPct(change);
  row.change.classList.toggle('up', change !== null && change > 0);
  row.change.classList.toggle('down', change !== null && change < 0);
  if (row.prevLast !== null && q.last !== null && q.last !== row.prevLast) {
    const cls = q.last > row.prevLast ? 'flash-up' : 'flash-down';
    row.last.classList.remove('flash-up', 'flash-down');
    void row.last.offsetWidth;
    row.last.classList.add(cls);
  }
  row.prevLast = q.last;
  row.spark.update(q.spark);
  row.spark.el.classList.toggle('down', change !== null && change < 0);
}

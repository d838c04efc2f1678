import { describeError } from '../api/api-error';
import { type MarketApi, TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from '../api/market-api';
import type { MarketStore } from '../app/market-store';
import { h, replace } from '../lib/dom';
import { formatPct, formatPrice } from '../lib/format';
import { showState } from '../lib/status-view';
import type { CandleChart } from './candle-chart';
import { LiveBars } from './live-bars';
import { watchlist } from './watchlist';

const BAR_LIMIT = 300;

/** Markets: the watchlist beside a live candlestick chart of the selected symbol. */
export function marketsPanel(store: MarketStore, market: MarketApi): HTMLElement {
  const title = h('h2', { id: 'chart-title' }, store.selected);
  const summary = h('p', { class: 'quote-summary', 'aria-live': 'polite', 'data-testid': 'quote-summary' });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-labelledby': 'chart-title' });
  const chartState = h('div', { class: 'chart-state' });
  const tfButtons = TIMEFRAMES.map((tf) =>
    h(
      'button',
      {
        type: 'button',
        class: 'tf',
        'data-timeframe': tf,
        'aria-pressed': String(tf === store.timeframe),
        onclick: () => store.select(store.selected, tf),
      },
      tf,
    ),
  );
  const picker = h(
    'select',
    {
      'aria-label': 'Symbol',
      class: 'symbol-picker',
      onchange: (e: Event) => store.select((e.target as HTMLSelectElement).value),
    },
    ...store.symbols.map((s) =>
      h('option', { value: s.symbol, selected: s.symbol === store.selected }, s.symbol),
    ),
  );

  let chart: CandleChart | null = null;
  let live = new LiveBars(TIMEFRAME_MS[store.timeframe]);
  let loadSeq = 0;
  let abort: AbortController | null = null;

  const renderSummary = () => {
    const q = store.quotes.get(store.selected);
    const info = store.symbols.find((s) => s.symbol === store.selected);
    if (!q) return replace(summary);
    const change = q.last !== null && q.prevClose ? (q.last - q.prevClose) / q.prevClose : null;
    replace(
      summary,
      info ? h('span', { class: 'muted' }, info.name) : null,
      h('strong', { 'data-testid': 'selected-last' }, formatPrice(q.last)),
      h('span', { class: change !== null && change < 0 ? 'down' : 'up' }, formatPct(change)),
      h('span', { class: 'muted' }, `bid ${formatPrice(q.bid)} · ask ${formatPrice(q.ask)}`),
    );
  };

  const load = async () => {
    const seq = ++loadSeq;
    abort?.abort();
    abort = new AbortController();
    const { selected, timeframe } = store;
    title.textContent = `${selected} · ${timeframe}`;
    chartBox.setAttribute('aria-label', `${selected} ${timeframe} candlestick chart with volume`);
    for (const b of tfButtons) b.setAttribute('aria-pressed', String(b.dataset.timeframe === timeframe));
    picker.value = selected;
    renderSummary();
    showState(chartState, { kind: 'loading', text: `Loading ${selected} ${timeframe} bars…` });
    chartState.hidden = false;
    try {
      const [mod, page] = await Promise.all([
        chart ? null : import('./candle-chart'),
        market.bars(selected, timeframe as Timeframe, BAR_LIMIT, abort.signal),
      ]);
      if (seq !== loadSeq) return;
      if (mod && !chart) chart = mod.createCandleChart(chartBox);
      live = new LiveBars(TIMEFRAME_MS[timeframe]);
      live.reset(page.bars);
      chart?.setBars(live.bars, timeframe !== '1d');
      if (page.bars.length === 0)
        showState(chartState, { kind: 'empty', text: `No ${timeframe} bars for ${selected} yet.` });
      else if (page.stale)
        showState(chartState, {
          kind: 'unavailable',
          text: 'Showing cached bars: the database is unavailable.',
        });
      else chartState.hidden = true;
      chartBox.dataset.bars = String(page.bars.length);
    } catch (err) {
      if (seq !== loadSeq || (err instanceof DOMException && err.name === 'AbortError')) return;
      showState(chartState, {
        kind: 'error',
        text: `Could not load the chart: ${describeError(err)}`,
        retry: () => void load(),
      });
    }
  };

  store.on('select', () => void load());
  store.on('quote', (q) => {
    if (q.symbol === store.selected) renderSummary();
  });
  store.on('trade', (t) => {
    if (t.symbol !== store.selected || !chart) return;
    const bar = live.applyTrade(t.price, t.ts);
    if (bar) chart.update(bar);
  });
  store.on('bar', (e) => {
    if (e.symbol !== store.selected || !chart) return;
    const bar = live.applyMinuteBar(e.bar);
    if (bar) chart.update(bar);
  });
  store.on('reset', (e) => {
    if (e.symbol === store.selected) void load();
  });

  void load();

  return h(
    'div',
    { class: 'markets' },
    watchlist(store),
    h(
      'section',
      { class: 'card chart-card', 'aria-labelledby': 'chart-title' },
      h(
        'div',
        { class: 'chart-head' },
        title,
        picker,
        h('div', { class: 'tf-group', role: 'group', 'aria-label': 'Timeframe' }, ...tfButtons),
      ),
      summary,
      h('div', { class: 'chart-wrap' }, chartBox, chartState),
    ),
  );
}

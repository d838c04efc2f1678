import { ApiFailure, describeError } from '../api/api-error';
import type { BacktestRequest, BacktestRun, BacktestsApi } from '../api/backtests-api';
import type { MarketStore } from '../app/market-store';
import { h, replace } from '../lib/dom';
import { formatInt, formatPct } from '../lib/format';
import { showState } from '../lib/status-view';
import { backtestForm } from './backtest-form';
import { statsTable, tradesTable } from './results-view';

const POLL_MS = 1_000;
const MAX_POLL_MS = 15 * 60_000;

/** Backtests: the form, progress of a queued run, its results and the list of past runs. */
export function backtestsPanel(store: MarketStore, api: BacktestsApi): HTMLElement {
  const status = h('div', { class: 'run-status', 'aria-live': 'polite', 'data-testid': 'backtest-status' });
  const results = h('div', { class: 'results' });
  const pastBody = h('div');
  let current = 0;
  let disposeChart: (() => void) | null = null;

  const showRun = async (run: BacktestRun) => {
    const mine = ++current;
    disposeChart?.();
    disposeChart = null;
    replace(results);
    const started = Date.now();
    while (run.status === 'queued' || run.status === 'running') {
      renderProgress(status, run);
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (mine !== current) return;
      if (Date.now() - started > MAX_POLL_MS) {
        showState(status, {
          kind: 'error',
          text: `Run ${run.id} is still ${run.status} after 15 minutes; check the past runs later.`,
        });
        return;
      }
      try {
        run = await api.get(run.id);
      } catch (err) {
        if (
          err instanceof ApiFailure &&
          (err.kind === 'offline' || err.kind === 'server' || err.kind === 'rate-limited')
        )
          continue;
        showState(status, { kind: 'error', text: `Lost track of run ${run.id}: ${describeError(err)}` });
        return;
      }
      if (mine !== current) return;
    }
    if (run.status === 'failed' || run.status === 'cancelled') {
      showState(status, {
        kind: 'error',
        text: `Run ${run.id} ${run.status}: ${run.error ?? 'no reason given'}`,
      });
      void refreshPast();
      return;
    }
    replace(
      status,
      h(
        'p',
        { class: 'state state-done' },
        `Run ${run.id} completed${run.symbol ? ` · ${run.symbol}` : ''}${run.strategy ? ` · ${run.strategy}` : ''}.`,
      ),
    );
    await renderResults(mine, run);
    void refreshPast();
  };

  const renderResults = async (mine: number, run: BacktestRun) => {
    const chartBox = h('div', {
      class: 'chart equity-chart',
      role: 'img',
      'aria-label': 'Equity curve with drawdown',
    });
    const chartState = h('div', { class: 'chart-state' });
    const tradesBox = h('div');
    showState(chartState, { kind: 'loading', text: 'Loading the equity curve…' });
    showState(tradesBox, { kind: 'loading', text: 'Loading trades…' });
    replace(
      results,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'stats-title' },
        h('h3', { id: 'stats-title' }, 'Statistics'),
        run.stats
          ? statsTable(run.stats)
          : h('p', { class: 'state state-empty' }, 'No statistics were returned.'),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'equity-title' },
        h('h3', { id: 'equity-title' }, 'Equity and drawdown'),
        h('div', { class: 'chart-wrap' }, chartBox, chartState),
      ),
      h(
        'section',
        { class: 'card wide', 'aria-labelledby': 'trades-title' },
        h('h3', { id: 'trades-title' }, 'Trades'),
        tradesBox,
      ),
    );
    // An inline answer already carries the curve and (unless truncated) the trades.
    const [equity, trades, mod] = await Promise.allSettled([
      run.inline ? Promise.resolve(run.inline.equity) : api.equity(run.id),
      run.inline && !run.inline.truncated ? Promise.resolve(run.inline.trades) : api.trades(run.id),
      import('./equity-chart'),
    ]);
    if (mine !== current) return;
    if (equity.status === 'fulfilled' && mod.status === 'fulfilled') {
      if (equity.value.length === 0)
        showState(chartState, { kind: 'empty', text: 'No equity points were returned.' });
      else {
        chartState.hidden = true;
        disposeChart = mod.value.renderEquityChart(chartBox, equity.value).dispose;
      }
    } else {
      const err =
        equity.status === 'rejected' ? equity.reason : mod.status === 'rejected' ? mod.reason : null;
      showState(chartState, {
        kind: 'error',
        text: `Could not load the equity curve: ${describeError(err)}`,
      });
    }
    if (trades.status === 'fulfilled') replace(tradesBox, tradesTable(trades.value));
    else
      showState(tradesBox, {
        kind: 'error',
        text: `Could not load the trades: ${describeError(trades.reason)}`,
      });
  };

  const submit = async (req: BacktestRequest) => {
    showState(status, { kind: 'loading', text: 'Submitting…' });
    let run: BacktestRun;
    try {
      run = await api.submit(req);
    } catch (err) {
      if (err instanceof ApiFailure && err.missing) {
        showState(status, { kind: 'unavailable', text: 'Backtests are not available on this server yet.' });
        return;
      }
      replace(status);
      throw new Error(describeError(err));
    }
    await showRun(run);
  };

  const refreshPast = async () => {
    try {
      const runs = await api.list();
      if (runs.length === 0)
        return showState(pastBody, { kind: 'empty', text: 'No backtests yet. Run one above.' });
      replace(
        pastBody,
        pastRuns(
          runs,
          (r) =>
            void api
              .get(r.id)
              .then(showRun, (err) => showState(status, { kind: 'error', text: describeError(err) })),
        ),
      );
    } catch (err) {
      if (err instanceof ApiFailure && err.missing)
        showState(pastBody, { kind: 'unavailable', text: 'Backtests are not available on this server yet.' });
      else if (err instanceof ApiFailure && err.kind === 'forbidden')
        showState(pastBody, { kind: 'unavailable', text: describeError(err) });
      else showState(pastBody, { kind: 'error', text: describeError(err), retry: () => void refreshPast() });
    }
  };

  showState(pastBody, { kind: 'loading', text: 'Loading past runs…' });
  void refreshPast();

  return h(
    'div',
    { class: 'backtests' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'bt-title' },
      h('h2', { id: 'bt-title' }, 'New backtest'),
      backtestForm(store.symbols, store.selected, submit),
      status,
    ),
    results,
    h(
      'section',
      { class: 'card wide', 'aria-labelledby': 'past-title' },
      h('h2', { id: 'past-title' }, 'Past runs'),
      pastBody,
    ),
  );
}

function renderProgress(el: HTMLElement, run: BacktestRun): void {
  replace(
    el,
    h(
      'p',
      { class: 'state state-loading', role: 'status' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      `Run ${run.id} ${run.status}${run.progress !== null ? ` · ${formatPct(run.progress, false)}` : '…'}`,
    ),
    h('progress', { max: 1, value: run.progress ?? undefined, 'aria-label': 'Backtest progress' }),
  );
}

function pastRuns(runs: BacktestRun[], open: (r: BacktestRun) => void): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { 'aria-label': 'Past backtests', 'data-testid': 'past-runs' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Run', 'Strategy', 'Status', 'Bars', 'Trades', 'Return', 'Submitted', ''].map((c, i) =>
            h('th', { scope: 'col', class: i >= 3 && i <= 5 ? 'num' : null }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...runs.map((r) => {
          const ret = r.stats?.['Return [%]'];
          return h(
            'tr',
            {},
            h('td', {}, h('code', {}, r.id.slice(0, 12))),
            h('td', {}, r.strategy ?? '—'),
            h('td', {}, h('span', { class: `badge status-${r.status}` }, r.status)),
            h('td', { class: 'num' }, formatInt(r.bars)),
            h('td', { class: 'num' }, formatInt(r.tradeCount)),
            h('td', { class: 'num' }, typeof ret === 'number' ? `${ret.toFixed(2)} %` : '—'),
            h('td', {}, r.createdAt ? r.createdAt.slice(0, 16).replace('T', ' ') : '—'),
            h(
              'td',
              {},
              h(
                'button',
                { type: 'button', onclick: () => open(r), 'aria-label': `Open run ${r.id}` },
                'Open',
              ),
            ),
          );
        }),
      ),
    ),
  );
}

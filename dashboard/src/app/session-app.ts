import { describeError } from '../api/api-error';
import { BacktestsApi } from '../api/backtests-api';
import { CapacityApi } from '../api/capacity-api';
import { FlagsApi } from '../api/flags-api';
import { HttpClient } from '../api/http-client';
import { MarketApi } from '../api/market-api';
import { OpsApi } from '../api/ops-api';
import { PredictionsApi } from '../api/predictions-api';
import { backtestsPanel } from '../backtests/backtests-panel';
import { capacityPanel } from '../capacity/capacity-panel';
import { flagsPanel } from '../flags/flags-panel';
import { h } from '../lib/dom';
import { showState } from '../lib/status-view';
import { marketsPanel } from '../markets/markets-panel';
import { operationsPanel } from '../operations/operations-panel';
import { predictionsPanel } from '../predictions/predictions-panel';
import { MarketFeed } from '../stream/market-feed';
import { connectionPill } from './connection-pill';
import { MarketStore } from './market-store';
import { tabs } from './tabs';

const SPARK_DAYS = 30;

export interface SessionHandlers {
  /** The key was rejected mid-session (revoked or expired). */
  onRejected(): void;
  onSignOut(): void;
}

/** The signed-in dashboard: header, tabs and panels over one store and one market feed. */
export function sessionApp(key: string, handlers: SessionHandlers): { el: HTMLElement; dispose(): void } {
  let disposed = false;
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
  const http = new HttpClient(
    key,
    () => {
      if (!disposed) handlers.onRejected();
    },
    (reachable) => {
      banner.hidden = reachable;
      banner.textContent = reachable
        ? ''
        : 'Cannot reach the server. It may be down or restarting; retrying automatically.';
    },
  );
  const market = new MarketApi(http);
  const store = new MarketStore();
  const pill = connectionPill();
  store.on('status', pill.update);
  pill.update(store.status);
  const feed = new MarketFeed(http, market, {
    onEvents: (e) => store.apply(e),
    onStatus: (s) => store.setStatus(s),
  });

  const main = h('main', { id: 'main', class: 'main' });
  const signOut = h(
    'button',
    { type: 'button', class: 'ghost', onclick: () => handlers.onSignOut() },
    'Sign out',
  );
  const header = h('header', { class: 'top' }, h('span', { class: 'brand' }, 'Skippy'), pill.el, signOut);
  const el = h(
    'div',
    { class: 'app' },
    h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'),
    header,
    banner,
    main,
  );

  const start = async () => {
    showState(main, { kind: 'loading', text: 'Loading symbols…' });
    try {
      store.setSymbols(await market.symbols());
    } catch (err) {
      if (disposed) return;
      showState(main, {
        kind: 'error',
        text: `Could not load the symbols: ${describeError(err)}`,
        retry: () => void start(),
      });
      return;
    }
    if (disposed) return;
    const t = tabs(
      [
        { id: 'markets', label: 'Markets', render: () => marketsPanel(store, market) },
        {
          id: 'predictions',
          label: 'Predictions',
          render: () => predictionsPanel(store, new PredictionsApi(http)),
        },
        { id: 'backtests', label: 'Backtests', render: () => backtestsPanel(store, new BacktestsApi(http)) },
        { id: 'capacity', label: 'Capacity', render: () => capacityPanel(new CapacityApi(http)) },
        {
          id: 'operations',
          label: 'Operations',
          // The key's feature flags sit under the health checks (any key may read them).
          render: () => {
            const el = operationsPanel(new OpsApi(http));
            el.append(flagsPanel(new FlagsApi(http)));
            return el;
          },
        },
      ],
      (id) => store.emit('tab', id),
    );
    main.replaceChildren(t.panels);
    header.insertBefore(t.list, pill.el);
    const symbols = store.symbols.map((s) => s.symbol);
    feed.start(symbols);
    // Quotes and sparklines load beside the stream; a failure leaves that row at "—".
    for (const s of symbols) {
      market.quote(s).then(
        (r) => store.setQuote(s, r.quote),
        () => {},
      );
      market.bars(s, '1d', SPARK_DAYS).then(
        (r) =>
          store.setSpark(
            s,
            r.bars.map((b) => b.c),
          ),
        () => {},
      );
    }
  };
  void start();

  return {
    el,
    dispose() {
      disposed = true;
      feed.stop();
    },
  };
}

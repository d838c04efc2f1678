import { type Exposition, parsePrometheus } from '../../../platform/metrics/prometheus-text';
import { ApiFailure, describeError } from '../api/api-error';
import type { DetailedHealth, OpsApi } from '../api/ops-api';
import { h, replace } from '../lib/dom';
import { formatInt, formatMs, formatNumber, formatPct } from '../lib/format';
import { showState } from '../lib/status-view';
import { visiblePoller } from '../lib/visible-poller';
import { type OpsSummary, summarise } from './platform-metrics';
import { ERROR_RATE_SLO, SHED_RATE_ALERT } from './slo';

const REFRESH_MS = 5_000;

/** Operations: request rate, p95 per route against the SLOs, sockets, queues, errors and health checks. */
export function operationsPanel(api: OpsApi): HTMLElement {
  const metricsBox = h('div', { 'data-testid': 'ops-metrics' });
  const healthBox = h('div', { 'data-testid': 'ops-health' });
  const updated = h('p', { class: 'muted', 'aria-live': 'polite' });
  let prev: { exp: Exposition; at: number } | null = null;
  let metricsDenied = false;
  const root = h('div', { class: 'operations' });

  const refresh = async () => {
    poller.cancel();
    const [m, hl] = await Promise.allSettled([
      metricsDenied ? Promise.reject(null) : api.metrics(),
      api.health(),
    ]);
    if (m.status === 'fulfilled') {
      const exp = parsePrometheus(m.value);
      const at = performance.now();
      renderMetrics(metricsBox, summarise(exp, prev?.exp ?? null, prev ? (at - prev.at) / 1000 : 0));
      prev = { exp, at };
    } else if (
      m.reason instanceof ApiFailure &&
      (m.reason.kind === 'forbidden' || m.reason.kind === 'unauthorized')
    ) {
      metricsDenied = true;
      showState(metricsBox, {
        kind: 'unavailable',
        text: 'Platform metrics need an admin key. Sign in with a key that has the admin scope to see request rates, latencies, sockets and queues.',
      });
    } else if (m.reason instanceof ApiFailure && m.reason.missing) {
      showState(metricsBox, {
        kind: 'unavailable',
        text: 'Metrics (/metrics) are not available on this server yet.',
      });
    } else if (m.reason !== null) {
      showState(metricsBox, { kind: 'error', text: `Could not read /metrics: ${describeError(m.reason)}` });
    }
    if (hl.status === 'fulfilled') renderHealth(healthBox, hl.value);
    else showState(healthBox, { kind: 'error', text: `Health check failed: ${describeError(hl.reason)}` });
    updated.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000} s while open`;
    poller.schedule();
  };

  showState(metricsBox, { kind: 'loading', text: 'Reading /metrics…' });
  showState(healthBox, { kind: 'loading', text: 'Checking dependencies…' });
  const poller = visiblePoller(root, REFRESH_MS, () => void refresh());
  void refresh();

  replace(
    root,
    h(
      'section',
      { class: 'card wide', 'aria-labelledby': 'ops-title' },
      h(
        'div',
        { class: 'chart-head' },
        h('h2', { id: 'ops-title' }, 'Operations'),
        h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh'),
      ),
      updated,
      metricsBox,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'health-title' },
      h('h2', { id: 'health-title' }, 'Health checks'),
      healthBox,
    ),
  );
  return root;
}

function tile(
  label: string,
  value: string,
  opts: { bad?: boolean; testid: string; note?: string },
): HTMLElement {
  return h(
    'div',
    { class: `tile${opts.bad ? ' bad' : ''}`, 'data-testid': opts.testid },
    h('span', { class: 'tile-label' }, label),
    h('strong', { class: 'tile-value' }, value),
    opts.note ? h('small', { class: 'muted' }, opts.note) : null,
  );
}

function renderMetrics(el: HTMLElement, s: OpsSummary): void {
  const queueDepth = s.queues.reduce((a, q) => a + q.depth, 0);
  const tiles = h(
    'div',
    { class: 'tiles' },
    tile('Request rate', s.requestRate === null ? 'measuring…' : `${formatNumber(s.requestRate)} /s`, {
      testid: 'ops-rate',
      note: s.totalRequests === null ? 'no request counter' : `${formatInt(s.totalRequests)} since start`,
    }),
    tile('Error rate (5xx)', formatPct(s.errorRate, false), {
      testid: 'ops-errors',
      bad: (s.errorRate ?? 0) > ERROR_RATE_SLO,
      note: `SLO ≤ ${formatPct(ERROR_RATE_SLO, false)}`,
    }),
    tile('Shed (503 overloaded)', formatPct(s.shedRate, false), {
      testid: 'ops-shed',
      bad: (s.shedRate ?? 0) > SHED_RATE_ALERT,
      note: s.shedLimit === null ? undefined : `tightest limit ${formatInt(s.shedLimit)} in flight`,
    }),
    tile('WebSocket connections', s.wsConnections === null ? '—' : formatInt(s.wsConnections), {
      testid: 'ops-ws',
    }),
    tile('Queue depth', s.queues.length === 0 ? '—' : formatInt(queueDepth), {
      testid: 'ops-queue',
      note: s.queues.map((q) => `${q.queue}: ${formatInt(q.depth)}`).join(' · ') || undefined,
    }),
  );
  const routes =
    s.routes.length === 0
      ? h('p', { class: 'state state-empty' }, 'No request latencies recorded yet.')
      : h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { 'aria-label': 'p95 latency per route', 'data-testid': 'ops-routes' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Route', 'Requests', 'p95', 'SLO', ''].map((c, i) =>
                  h('th', { scope: 'col', class: i > 0 && i < 4 ? 'num' : null }, c),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              ...s.routes.map((r) => {
                const breach = r.p95Ms !== null && r.p95Ms > r.sloMs;
                return h(
                  'tr',
                  { class: breach ? 'breach' : null },
                  h('th', { scope: 'row' }, h('code', {}, r.route)),
                  h('td', { class: 'num' }, formatInt(r.count)),
                  h('td', { class: 'num' }, formatMs(r.p95Ms)),
                  h('td', { class: 'num' }, `≤ ${formatMs(r.sloMs)}`),
                  h(
                    'td',
                    {},
                    h(
                      'span',
                      { class: `badge ${breach ? 'bad' : 'ok'}` },
                      r.p95Ms === null ? 'no data' : breach ? 'over SLO' : 'within SLO',
                    ),
                  ),
                );
              }),
            ),
          ),
        );
  replace(el, tiles, routes);
}

function renderHealth(el: HTMLElement, hl: DetailedHealth): void {
  replace(
    el,
    h(
      'p',
      {},
      h('span', { class: `badge ${hl.status === 'ok' ? 'ok' : 'bad'}` }, hl.status),
      ` ${hl.version ?? ''} ${hl.environment ? `· ${hl.environment}` : ''}`,
    ),
    h(
      'ul',
      { class: 'checks' },
      ...hl.checks.map((c) =>
        h(
          'li',
          { 'data-check': c.name },
          h('span', { class: `badge ${c.status === 'ok' ? 'ok' : 'bad'}` }, c.status),
          ` ${c.name} · ${formatMs(c.latencyMs)}`,
          c.error ? h('small', { class: 'muted' }, ` ${c.error}`) : null,
        ),
      ),
    ),
  );
}

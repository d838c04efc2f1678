import { ApiFailure, describeError } from '../api/api-error';
import type { EvaluationReport, Horizon, Prediction, PredictionsApi } from '../api/predictions-api';
import type { MarketStore } from '../app/market-store';
import { h, replace } from '../lib/dom';
import { formatInt, formatNumber, formatPct, formatTime } from '../lib/format';
import { showState } from '../lib/status-view';
import { basisView } from './prediction-basis';

type Metrics = EvaluationReport['evaluation']['ensemble'];

const AGENT_LABELS: Record<string, string> = {
  trend: 'Trend',
  meanReversion: 'Mean reversion',
  volatilityRegime: 'Volatility regime',
  learned: 'Learned model',
  alwaysUp: 'Always up (baseline)',
  persistence: 'Persistence (baseline)',
  baseRate: 'Base rate (baseline)',
};
const label = (name: string) => AGENT_LABELS[name] ?? name;

/** Predictions: the selected symbol's ensemble call, each agent's vote and the walk-forward evaluation. */
export function predictionsPanel(store: MarketStore, api: PredictionsApi): HTMLElement {
  let horizon: Horizon = '1d';
  let seq = 0;
  const title = h('h2', { id: 'prediction-title' });
  const body = h('div', { class: 'prediction-body' });
  const evalBox = h('div', { class: 'evaluation-body' });
  const horizonButtons = (['1h', '1d'] as const).map((hz) =>
    h(
      'button',
      {
        type: 'button',
        class: 'tf',
        'data-horizon': hz,
        'aria-pressed': String(hz === horizon),
        onclick: () => setHorizon(hz),
      },
      hz,
    ),
  );
  const picker = h(
    'select',
    {
      'aria-label': 'Symbol',
      class: 'symbol-picker',
      onchange: (e: Event) => store.select((e.target as HTMLSelectElement).value),
    },
    ...store.symbols.map((s) => h('option', { value: s.symbol }, s.symbol)),
  );

  const setHorizon = (hz: Horizon) => {
    horizon = hz;
    for (const b of horizonButtons) b.setAttribute('aria-pressed', String(b.dataset.horizon === hz));
    void load();
  };

  const load = async () => {
    const mine = ++seq;
    const symbol = store.selected;
    picker.value = symbol;
    title.textContent = `${symbol} · next ${horizon}`;
    showState(body, { kind: 'loading', text: `Asking the agents about ${symbol}…` });
    showState(evalBox, { kind: 'loading', text: 'Loading the evaluation…' });
    const [p, e] = await Promise.allSettled([
      api.prediction(symbol, horizon),
      api.evaluation(symbol, horizon),
    ]);
    if (mine !== seq) return;
    if (p.status === 'fulfilled') renderPrediction(body, p.value);
    else renderFailure(body, p.reason, 'Predictions', () => void load());
    if (e.status === 'fulfilled') renderEvaluation(evalBox, e.value);
    else renderFailure(evalBox, e.reason, 'The evaluation', () => void load());
  };

  // Predictions are costly to compute: refresh on a symbol change only while this tab is shown.
  let stale = false;
  store.on('select', () => {
    if (root.closest('[hidden]')) stale = true;
    else void load();
  });
  store.on('tab', (id) => {
    if (id === 'predictions' && stale) {
      stale = false;
      void load();
    }
  });
  void load();

  const root = h(
    'div',
    { class: 'predictions' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'prediction-title' },
      h(
        'div',
        { class: 'chart-head' },
        title,
        picker,
        h('div', { class: 'tf-group', role: 'group', 'aria-label': 'Horizon' }, ...horizonButtons),
      ),
      body,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'evaluation-title' },
      h('h2', { id: 'evaluation-title' }, 'Out-of-sample evaluation'),
      evalBox,
    ),
  );
  return root;
}

function renderFailure(el: HTMLElement, err: unknown, what: string, retry: () => void): void {
  if (err instanceof ApiFailure && err.missing) {
    showState(el, { kind: 'unavailable', text: `${what} are not available on this server yet.` });
  } else {
    showState(el, { kind: 'error', text: describeError(err), retry });
  }
}

function directionBadge(direction: string): HTMLElement {
  const arrow = direction === 'up' ? '▲' : direction === 'down' ? '▼' : '▬';
  return h(
    'span',
    { class: `badge dir-${direction}` },
    h('span', { 'aria-hidden': 'true' }, `${arrow} `),
    direction,
  );
}

function renderPrediction(el: HTMLElement, p: Prediction): void {
  const er = p.expectedReturn;
  const basis = basisView(p);
  const facts = h(
    'dl',
    { class: 'facts', 'data-testid': 'prediction-facts' },
    h('dt', {}, 'Call'),
    h('dd', {}, directionBadge(p.direction), ` ${formatPct(p.probability, false)} confidence`),
    h('dt', {}, 'Answered by'),
    h('dd', { 'data-testid': 'prediction-basis', 'data-basis': p.basis }, basis.label),
    h('dt', {}, 'P(up)'),
    h('dd', {}, formatPct(p.probabilityUp, false)),
    h('dt', {}, 'Expected move'),
    h(
      'dd',
      {},
      `${formatPct(er.mean)} (${formatPct(er.lower)} to ${formatPct(er.upper)}, ${Math.round(er.level * 100)} % interval)`,
    ),
    h('dt', {}, 'Model'),
    h('dd', {}, `${p.modelVersion} · trained ${p.trainedAt.slice(0, 16).replace('T', ' ')}`),
    h('dt', {}, 'As of bar'),
    h('dd', {}, `${formatTime(p.asOfBarTime)} · valid until ${p.expiresAt.slice(0, 16).replace('T', ' ')}`),
  );
  const warnings = [
    p.modelExpired ? 'The model is past its expiry; retraining has been queued.' : null,
    p.outlier.flag
      ? `Unusual market conditions (outlier score ${formatNumber(p.outlier.score)} > ${formatNumber(p.outlier.threshold)}): treat with care.`
      : null,
  ].filter((w): w is string => w !== null);

  const rows = p.votes.map((v) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, label(v.name)),
      h('td', {}, directionBadge(v.direction)),
      h('td', { class: 'num' }, formatPct(v.probability, false)),
      h('td', { class: 'num' }, formatPct(v.probabilityUp, false)),
      h('td', { class: 'num' }, formatPct(v.expectedReturn)),
      basis.showWeights
        ? h(
            'td',
            { class: 'num' },
            h('meter', { min: 0, max: 1, value: v.weight, 'aria-label': `${label(v.name)} weight` }),
            ` ${formatPct(v.weight, false)}`,
          )
        : null,
    ),
  );
  const columns = [
    'Agent',
    'Vote',
    'Confidence',
    'P(up)',
    'Expected',
    ...(basis.showWeights ? ['Weight'] : []),
  ];
  replace(
    el,
    facts,
    ...warnings.map((w) => h('p', { class: 'warning', role: 'note' }, w)),
    basis.note ? h('p', { class: 'muted', role: 'note', 'data-testid': 'basis-note' }, basis.note) : null,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { 'aria-label': 'Agent votes', 'data-testid': 'votes' },
        h(
          'thead',
          {},
          h('tr', {}, ...columns.map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : null }, c))),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}

function metricsRow(name: string, m: Metrics): HTMLTableRowElement {
  const gain = m.vsBaseRate;
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, label(name)),
    h('td', { class: 'num' }, formatInt(m.count)),
    h('td', { class: 'num' }, formatPct(m.hitRate, false)),
    h('td', { class: 'num' }, formatNumber(m.brier)),
    h('td', { class: 'num' }, formatNumber(m.logLoss)),
    h('td', { class: 'num' }, gain ? `${gain.logLossGain.toFixed(4)} (t ${gain.tStat.toFixed(2)})` : '—'),
    h('td', { class: 'num' }, formatPct(m.intervalCoverage, false)),
  );
}

function renderEvaluation(el: HTMLElement, r: EvaluationReport): void {
  const ev = r.evaluation;
  const rows = [
    metricsRow('Ensemble', ev.ensemble),
    ...Object.entries(ev.agents).map(([k, m]) => metricsRow(k, m)),
    ...Object.entries(ev.baselines).map(([k, m]) => metricsRow(k, m)),
  ];
  const window = ev.trainWindow === 'expanding' ? 'expanding window' : `rolling ${ev.trainWindow} rows`;
  replace(
    el,
    h(
      'p',
      { class: 'muted' },
      `Walk-forward over ${formatInt(ev.bars)} bars, ${window}, retrained every ${ev.retrainEvery} bars (${ev.retrains} retrains); up rate ${formatPct(ev.upRate, false)}. Model ${r.modelVersion}.`,
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { 'aria-label': 'Evaluation by predictor', 'data-testid': 'evaluation' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...[
              'Predictor',
              'Predictions',
              'Hit rate',
              'Brier',
              'Log loss',
              'Log-loss gain vs base rate',
              `Interval coverage (${Math.round(ev.intervalLevel * 100)} %)`,
            ].map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, c)),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
    ev.notes.length > 0 ? h('ul', { class: 'notes' }, ...ev.notes.map((n) => h('li', {}, n))) : null,
  );
}

import { describeError } from '../api/api-error';
import type { CapacityAnswer, CapacityApi } from '../api/capacity-api';
import { h, replace } from '../lib/dom';
import { formatInt, formatNumber } from '../lib/format';
import { showState } from '../lib/status-view';
import { capacityChart } from './capacity-chart';

/** The inputs of `npm run capacity` and `GET /api/v1/capacity` (same names). */
const FIELDS: Array<{ name: string; label: string; value: string }> = [
  { name: 'users', label: 'Users', value: '10000' },
  { name: 'rps', label: 'Requests per user per second', value: '0.2' },
  { name: 'sockets', label: 'WebSocket sockets', value: '10000' },
  { name: 'symbols', label: 'Symbols', value: '500' },
  { name: 'subscriptions', label: 'Symbols per socket', value: '10' },
  { name: 'burst', label: 'Burst multiplier', value: '1' },
  { name: 'backtestsPerHour', label: 'Backtests per hour', value: '500' },
  { name: 'barsPerBacktest', label: 'Bars per backtest', value: '100000' },
  { name: 'predictionsPerSecond', label: 'Predictions per second', value: '50' },
];

/** Capacity: the model's answer for a workload, and cost with the first limit against users. */
export function capacityPanel(api: CapacityApi): HTMLElement {
  const result = h('div', { 'data-testid': 'capacity-result', 'aria-live': 'polite' });
  const inputs = FIELDS.map((f) =>
    h('input', {
      id: `cap-${f.name}`,
      name: f.name,
      value: f.value,
      inputmode: 'decimal',
      autocomplete: 'off',
    }),
  );
  const placement = h(
    'select',
    { id: 'cap-placement', name: 'placement' },
    h('option', { value: 'spread' }, 'spill-over (as built)'),
    h('option', { value: 'symbol' }, 'by symbol (shard tree)'),
  );
  const run = async () => {
    const values: Record<string, string> = Object.fromEntries(inputs.map((i) => [i.name, i.value]));
    values.placement = placement.value;
    showState(result, { kind: 'loading', text: 'Computing…' });
    try {
      render(result, await api.compute(values));
    } catch (err) {
      showState(result, { kind: 'error', text: describeError(err) });
    }
  };
  const form = h(
    'form',
    {
      class: 'capacity-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run();
      },
    },
    ...FIELDS.map((f, i) => h('label', { for: `cap-${f.name}` }, f.label, inputs[i]!)),
    h('label', { for: 'cap-placement' }, 'Gateway placement', placement),
    h('button', { type: 'submit' }, 'Compute'),
  );
  void run();
  return h(
    'div',
    { class: 'capacity' },
    h(
      'section',
      { class: 'card wide', 'aria-labelledby': 'capacity-title' },
      h('h2', { id: 'capacity-title' }, 'Capacity'),
      h(
        'p',
        { class: 'muted' },
        'The Workers-native model (docs/scaling.md): load on each single-threaded object, queue and D1 against its limit, beside the seed formula’s server count.',
      ),
      form,
      result,
    ),
  );
}

function render(el: HTMLElement, a: CapacityAnswer): void {
  const pct = (u: number) => `${formatNumber(u * 100)} %`;
  replace(
    el,
    h(
      'div',
      { class: 'tiles' },
      tile('First limit', a.firstLimit.id, 'capacity-first', `${pct(a.firstLimit.utilization)} used`),
      tile(
        'Users at that limit',
        a.usersAtFirstLimit === null ? '—' : formatInt(Math.round(a.usersAtFirstLimit)),
        'capacity-users-at',
      ),
      tile('Monthly cost', `$${formatNumber(a.monthlyUsd)}`, 'capacity-cost', `prices of ${a.pricesAsOf}`),
      tile(
        'Seed formula',
        `${formatInt(a.seed.instancesNeeded)} servers`,
        'capacity-seed',
        `${formatInt(a.seed.memoryRequired)} GB, ${formatInt(a.seed.cpuRequired)} cores`,
      ),
    ),
    h(
      'p',
      { 'data-testid': 'capacity-breaks' },
      a.breaks.length ? `Already past: ${a.breaks.join(', ')}. ` : 'Within every limit. ',
      h('span', { class: 'muted' }, a.firstLimit.answer),
    ),
    capacityChart(a.curve),
  );
}

function tile(label: string, value: string, testid: string, note?: string): HTMLElement {
  return h(
    'div',
    { class: 'tile', 'data-testid': testid },
    h('span', { class: 'tile-label' }, label),
    h('strong', { class: 'tile-value' }, value),
    note ? h('small', { class: 'muted' }, note) : null,
  );
}

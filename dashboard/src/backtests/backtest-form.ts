import type { BacktestRequest } from '../api/backtests-api';
import type { SymbolInfo } from '../api/market-api';
import { h, replace } from '../lib/dom';
import { STRATEGIES, type StrategySpec } from './strategy-catalog';

type StrategyName = Extract<BacktestRequest['strategy'], { name: unknown }>['name'];
type Timeframe = Extract<BacktestRequest['data'], { symbol: unknown }>['timeframe'];

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function field(id: string, text: string, control: HTMLElement, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, text),
    control,
    hint ? h('small', { class: 'muted', id: `${id}-hint` }, hint) : null,
  );
}

/** The backtest form: symbol, strategy and its parameters, date range, cash and commission. */
export function backtestForm(
  symbols: SymbolInfo[],
  selected: string,
  onSubmit: (req: BacktestRequest) => Promise<void>,
) {
  const symbol = h(
    'select',
    { id: 'bt-symbol', name: 'symbol' },
    ...symbols.map((s) => h('option', { value: s.symbol, selected: s.symbol === selected }, s.symbol)),
  );
  const timeframe = h(
    'select',
    { id: 'bt-timeframe', name: 'timeframe' },
    ...['1d', '1h', '1m'].map((tf) => h('option', { value: tf }, tf)),
  );
  const strategy = h(
    'select',
    { id: 'bt-strategy', name: 'strategy' },
    ...STRATEGIES.map((s) => h('option', { value: s.name }, s.label)),
  );
  const now = Date.now();
  const from = h('input', {
    id: 'bt-from',
    name: 'from',
    type: 'date',
    required: true,
    value: isoDate(now - 365 * 86_400_000),
  });
  const to = h('input', { id: 'bt-to', name: 'to', type: 'date', required: true, value: isoDate(now) });
  const cash = h('input', {
    id: 'bt-cash',
    name: 'cash',
    type: 'number',
    min: 1,
    step: 'any',
    required: true,
    value: 10000,
  });
  const commission = h('input', {
    id: 'bt-commission',
    name: 'commission',
    type: 'number',
    min: 0,
    max: 9.99,
    step: 'any',
    required: true,
    value: 0.1,
    'aria-describedby': 'bt-commission-hint',
  });
  const params = h('fieldset', { class: 'params' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run backtest');

  const renderParams = () => {
    const spec = STRATEGIES.find((s) => s.name === strategy.value) as StrategySpec;
    replace(
      params,
      h('legend', {}, `${spec.label} parameters`),
      spec.params.length === 0 ? h('p', { class: 'muted' }, 'No parameters.') : null,
      ...spec.params.map((p) => {
        const id = `bt-param-${p.name}`;
        if (p.kind === 'boolean') {
          return h(
            'div',
            { class: 'field check' },
            h('input', { id, type: 'checkbox', 'data-param': p.name, checked: p.default === true }),
            h('label', { for: id }, p.name),
          );
        }
        const input = h('input', {
          id,
          type: 'number',
          'data-param': p.name,
          'data-kind': p.kind,
          value: Number(p.default),
          min: p.min,
          max: p.max,
          step: p.kind === 'int' ? 1 : 'any',
          required: true,
        });
        return field(id, p.name, input);
      }),
    );
  };
  strategy.addEventListener('change', renderParams);
  renderParams();

  const form = h(
    'form',
    { class: 'backtest-form', 'aria-label': 'New backtest', novalidate: true },
    h(
      'div',
      { class: 'grid' },
      field('bt-symbol', 'Symbol', symbol),
      field('bt-timeframe', 'Bars', timeframe),
      field('bt-strategy', 'Strategy', strategy),
      field('bt-from', 'From', from),
      field('bt-to', 'To', to),
      field('bt-cash', 'Cash ($)', cash),
      field('bt-commission', 'Commission (%)', commission, 'Per fill, of traded value'),
    ),
    params,
    error,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const invalid = form.querySelector<HTMLInputElement>('input:invalid');
    if (invalid) {
      error.textContent = `Check ${invalid.labels?.[0]?.textContent ?? invalid.name}: ${invalid.validationMessage}`;
      invalid.focus();
      return;
    }
    if (from.value > to.value) {
      error.textContent = '"From" must be before "To".';
      from.focus();
      return;
    }
    const values: Record<string, number | boolean> = {};
    for (const input of params.querySelectorAll<HTMLInputElement>('input[data-param]')) {
      values[input.dataset.param!] = input.type === 'checkbox' ? input.checked : Number(input.value);
    }
    submit.disabled = true;
    try {
      await onSubmit({
        // The select only offers names from the catalogue; the server validates them anyway.
        strategy: { name: strategy.value as StrategyName, params: values },
        data: {
          symbol: symbol.value,
          timeframe: timeframe.value as Timeframe,
          from: from.value,
          to: to.value,
        },
        cash: Number(cash.value),
        commission: Number(commission.value) / 100,
        equityPoints: 500,
      });
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

import { describeError } from '../api/api-error';
import type { Flag, FlagsApi } from '../api/flags-api';
import { h, replace } from '../lib/dom';
import { showState } from '../lib/status-view';
import { visiblePoller } from '../lib/visible-poller';
import { flagView } from './flag-view';

/** Flags change only through the admin API; a slow poll while visible is enough (the button reads at once). */
const REFRESH_MS = 30_000;

/**
 * Feature flags as evaluated for the signed-in key (`GET /api/v1/flags`): key, on/off, variant,
 * why, and what the flag guards. Built per session, so signing in with another key shows that
 * key's flags; re-read on "Reload flags" and every 30 s while visible.
 */
export function flagsPanel(api: FlagsApi): HTMLElement {
  const box = h('div', { 'data-testid': 'flags' });
  const updated = h('p', { class: 'muted', 'aria-live': 'polite' });
  let loaded = false;
  const root = h(
    'section',
    { class: 'card', 'aria-labelledby': 'flags-title' },
    h(
      'div',
      { class: 'chart-head' },
      h('h2', { id: 'flags-title' }, 'Feature flags for this key'),
      h('button', { type: 'button', onclick: () => void refresh() }, 'Reload flags'),
    ),
    updated,
    box,
  );

  const refresh = async () => {
    poller.cancel();
    if (!loaded) showState(box, { kind: 'loading', text: 'Reading flags…' });
    try {
      const flags = await api.flags();
      loaded = true;
      render(box, flags);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      loaded = false;
      showState(box, {
        kind: 'error',
        text: `Could not read the flags: ${describeError(err)}`,
        retry: () => void refresh(),
      });
    }
    poller.schedule();
  };

  const poller = visiblePoller(root, REFRESH_MS, () => void refresh());
  void refresh();
  return root;
}

function render(el: HTMLElement, flags: Flag[]): void {
  if (flags.length === 0) {
    showState(el, { kind: 'empty', text: 'This server declares no feature flags.' });
    return;
  }
  replace(
    el,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'flags', 'aria-label': 'Feature flags for this key' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Flag', 'State', 'Variant', 'Why'].map((c) => h('th', { scope: 'col' }, c))),
        ),
        h(
          'tbody',
          {},
          ...flags.map((f) => {
            const v = flagView(f);
            return h(
              'tr',
              { 'data-flag': f.key, 'data-on': String(v.on) },
              h(
                'th',
                { scope: 'row' },
                h('code', {}, f.key),
                f.description ? h('small', { class: 'muted flag-description' }, f.description) : null,
              ),
              h(
                'td',
                { 'data-field': 'state' },
                h('span', { class: `badge ${v.on ? 'ok' : 'off'}` }, v.state),
              ),
              h('td', { 'data-field': 'variant' }, h('code', {}, f.variant)),
              h('td', { 'data-field': 'why', class: 'muted' }, v.why),
            );
          }),
        ),
      ),
    ),
  );
}

import { h } from '../lib/dom';

export interface TabSpec {
  id: string;
  label: string;
  /** Builds the panel the first time the tab is shown. */
  render(): HTMLElement;
}

/**
 * WAI-ARIA tabs: arrow keys, Home and End move between tabs (roving tabindex), the active
 * tab is mirrored in `location.hash` (never anything secret) and panels are built on first view.
 */
export function tabs(specs: TabSpec[], onChange: (id: string) => void = () => {}) {
  const list = h('div', { role: 'tablist', 'aria-label': 'Sections', class: 'tablist' });
  const panels = h('div', { class: 'panels' });
  const built = new Set<string>();
  const buttons = specs.map((spec) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${spec.id}`,
        'aria-controls': `panel-${spec.id}`,
        'data-tab': spec.id,
      },
      spec.label,
    ),
  );
  const panelEls = specs.map((spec) =>
    h('section', {
      role: 'tabpanel',
      id: `panel-${spec.id}`,
      'aria-labelledby': `tab-${spec.id}`,
      tabindex: 0,
      hidden: true,
      class: 'panel',
    }),
  );
  list.append(...buttons);
  panels.append(...panelEls);

  const select = (id: string, focus = false) => {
    const index = Math.max(
      0,
      specs.findIndex((s) => s.id === id),
    );
    specs.forEach((spec, i) => {
      const on = i === index;
      const b = buttons[i]!;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      panelEls[i]!.hidden = !on;
      if (on && !built.has(spec.id)) {
        built.add(spec.id);
        panelEls[i]!.append(spec.render());
      }
    });
    if (focus) buttons[index]!.focus();
    const active = specs[index]!.id;
    if (location.hash !== `#${active}`) history.replaceState(null, '', `#${active}`);
    onChange(active);
  };

  list.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>('[role="tab"]');
    if (b?.dataset.tab) select(b.dataset.tab);
  });
  list.addEventListener('keydown', (e) => {
    const current = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (current < 0) return;
    const next =
      e.key === 'ArrowRight'
        ? (current + 1) % specs.length
        : e.key === 'ArrowLeft'
          ? (current - 1 + specs.length) % specs.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? specs.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    select(specs[next]!.id, true);
  });

  const initial = location.hash.slice(1);
  select(specs.some((s) => s.id === initial) ? initial : specs[0]!.id);
  return { list, panels, select };
}

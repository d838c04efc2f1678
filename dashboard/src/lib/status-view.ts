import { h, replace } from './dom';

export type ViewState =
  | { kind: 'loading'; text?: string }
  | { kind: 'empty'; text: string }
  | { kind: 'error'; text: string; retry?: () => void }
  | { kind: 'unavailable'; text: string };

/** Renders a loading, empty, error or "not available" message into `el`. */
export function showState(el: HTMLElement, state: ViewState): void {
  const cls = `state state-${state.kind}`;
  switch (state.kind) {
    case 'loading':
      replace(
        el,
        h(
          'p',
          { class: cls, role: 'status' },
          h('span', { class: 'spinner', 'aria-hidden': 'true' }),
          state.text ?? 'Loading…',
        ),
      );
      break;
    case 'empty':
      replace(el, h('p', { class: cls }, state.text));
      break;
    case 'unavailable':
      replace(el, h('p', { class: cls, role: 'status' }, state.text));
      break;
    case 'error':
      replace(
        el,
        h(
          'div',
          { class: cls, role: 'alert' },
          h('p', {}, state.text),
          state.retry ? h('button', { type: 'button', onclick: state.retry }, 'Retry') : null,
        ),
      );
      break;
  }
}

import { ApiFailure, describeError } from '../api/api-error';
import { HttpClient } from '../api/http-client';
import { MarketApi } from '../api/market-api';
import { h } from '../lib/dom';
import { looksLikeKey, saveKey } from './session';

/**
 * The sign-in form. The key is checked against `/api/v1/symbols` (read scope) before it is
 * stored; `notice` explains why the user is here again (e.g. a rejected key).
 */
export function signInView(onSignedIn: (key: string) => void, notice?: string): HTMLElement {
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'sk_…',
    'aria-describedby': 'sign-in-help sign-in-error',
  });
  const error = h('p', { id: 'sign-in-error', class: 'form-error', role: 'alert' }, notice ?? '');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');

  const form = h(
    'form',
    { class: 'sign-in card', 'aria-labelledby': 'sign-in-title', novalidate: true },
    h('h1', { id: 'sign-in-title' }, 'Skippy'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h(
      'p',
      { id: 'sign-in-help', class: 'muted' },
      'Kept in this tab only (sessionStorage) and sent only in the Authorization header.',
    ),
    error,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!looksLikeKey(key)) {
      error.textContent = 'That does not look like an API key (they start with "sk_").';
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Checking…';
    error.textContent = '';
    try {
      await new MarketApi(new HttpClient(key)).symbols();
      saveKey(key);
      onSignedIn(key);
    } catch (err) {
      error.textContent =
        err instanceof ApiFailure && err.kind === 'unauthorized'
          ? 'This key was rejected: it is unknown, revoked or expired.'
          : describeError(err);
      submit.disabled = false;
      submit.textContent = 'Sign in';
      input.focus();
    }
  });
  queueMicrotask(() => input.focus());
  return h('main', { class: 'sign-in-page' }, form);
}

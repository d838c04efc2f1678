import './lib/zod-jitless';
import { sessionApp } from './app/session-app';
import { clearKey, loadKey } from './auth/session';
import { signInView } from './auth/sign-in-view';

const root = document.getElementById('app')!;
let dispose: (() => void) | null = null;

function showSignIn(notice?: string): void {
  dispose?.();
  dispose = null;
  clearKey();
  root.replaceChildren(signInView(showApp, notice));
}

function showApp(key: string): void {
  dispose?.();
  const app = sessionApp(key, {
    onRejected: () => showSignIn('Your API key was rejected (revoked or expired). Sign in again.'),
    onSignOut: () => showSignIn(),
  });
  dispose = app.dispose;
  root.replaceChildren(app.el);
}

const key = loadKey();
if (key) showApp(key);
else showSignIn();

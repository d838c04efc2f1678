/**
 * The API key lives in sessionStorage only: it survives a reload of this tab, never another
 * tab or a browser restart, and never goes into localStorage or a URL.
 */
const KEY = 'skippy.apiKey';

export function loadKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function clearKey(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled: nothing was stored.
  }
}

/** Keys look like `sk_…`; anything else is rejected before a request is made. */
export function looksLikeKey(key: string): boolean {
  return /^sk_[A-Za-z0-9_-]{8,200}$/.test(key);
}

import { inject } from 'vitest';
import type { Scope } from '../../scripts/lib/platform';

export const baseUrl = () => inject('baseUrl');

/** The seeded demo key holding `scope` (admin holds every scope). */
export function demoKey(scope: Scope): string {
  const k = inject('keys').find((x) => x.scopes.includes(scope));
  if (!k) throw new Error(`no demo key with scope ${scope}`);
  return k.key;
}

export async function call(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  return fetch(`${baseUrl()}${path}`, { ...init, headers });
}

/** Injects faults through the admin API (`PUT /api/v1/admin/faults`, local dev only). */
export async function injectFaults(faults: {
  d1ErrorRate: number;
  d1LatencyMs?: number;
  durationSeconds: number;
}): Promise<Response> {
  return call('/api/v1/admin/faults', {
    method: 'PUT',
    key: demoKey('admin'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
}

/** Clears injected faults. */
export async function clearFaults(): Promise<Response> {
  return call('/api/v1/admin/faults', { method: 'DELETE', key: demoKey('admin') });
}

import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';
import { z } from 'zod';
import { CATALOG } from '../../engine/market/catalog';
import { createKey, type RateLimitTier, type Scope } from '../../platform/auth/api-keys';
import worker from '../../workers/index';

/**
 * Calls the Worker's fetch handler directly in the test isolate. (Going through
 * `exports.default.fetch` costs more with every request the harness has seen: thousands of
 * requests, as the fuzz suite sends, would take minutes.)
 */
export async function api(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  const { key: _key, ...rest } = init;
  // A Request built here has no edge `cf` properties; the handler's type expects an incoming request.
  const request = new Request(`http://skippy.test${path}`, { ...rest, headers }) as Request<
    unknown,
    IncomingRequestCfProperties
  >;
  return worker.fetch(request, env, createExecutionContext());
}

export async function makeKey(scopes: Scope[], tier: RateLimitTier = 'high'): Promise<string> {
  return (await createKey(env, { name: `test-${scopes.join('-')}`, scopes, tier })).key;
}

/** Inserts the catalogue's symbols (no bars). */
export async function seedSymbols(): Promise<void> {
  const now = Date.now();
  await env.DB.batch(
    CATALOG.map((s) =>
      env.DB.prepare(
        'INSERT OR IGNORE INTO symbols (symbol, name, asset_class, exchange, currency, tick_size, lot_size, session, timezone, active, created_at) VALUES (?,?,?,?,?,?,?,?,?,1,?)',
      ).bind(
        s.symbol,
        s.name,
        s.assetClass,
        s.exchange,
        s.currency,
        s.tickSize,
        s.lotSize,
        s.session,
        s.timezone,
        now,
      ),
    ),
  );
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Turns on fault injection through the admin API (as a chaos run would) and returns the response. */
export function injectFaults(
  adminKey: string,
  config: {
    d1ErrorRate?: number;
    d1LatencyMs?: number;
    consumerCrashRate?: number;
    durationSeconds?: number;
  },
): Promise<Response> {
  return api('/api/v1/admin/faults', {
    method: 'PUT',
    key: adminKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ durationSeconds: 60, ...config }),
  });
}

/** One structured log line: an object of fields (what `captureLogs` lines parse to). */
export const LogLine = z.record(z.string(), z.unknown());

/** Log lines written from now until `vi.restoreAllMocks()` (console.log/warn/error captured, not printed). */
export function captureLogs(): string[] {
  const lines: string[] = [];
  const keep = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  vi.spyOn(console, 'log').mockImplementation(keep);
  vi.spyOn(console, 'warn').mockImplementation(keep);
  vi.spyOn(console, 'error').mockImplementation(keep);
  return lines;
}

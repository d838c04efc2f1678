import { dependencyUnavailable, isDependencyFailure } from './errors';
import { observeCache } from './observe';

/**
 * KV is a cache here, never a database: every key is built below (one typed prefix per kind,
 * listed in docs/kv-keys.md) and every entry has a TTL. Freshness is decided by the stored
 * `asOf`, not by the KV TTL (KV's minimum TTL is 60 s): entries outlive their freshness so
 * that a copy can still be served, marked stale, while D1 is failing.
 */
export const kvKey = {
  symbols: () => 'v1:symbols',
  symbol: (symbol: string) => `v1:symbol:${symbol}`,
  quote: (symbol: string) => `v1:quote:${symbol}`,
  bars: (symbol: string, query: string) => `v1:bars:${symbol}:${query}`,
  apiKey: (hash: string) => `v1:apikey:${hash}`,
  revokedKey: (hash: string) => `v1:revoked:${hash}`,
  prediction: (symbol: string, horizon: string, barTime: number) => `v1:pred:${symbol}:${horizon}:${barTime}`,
  model: (symbol: string, horizon: string) => `v1:model:${symbol}:${horizon}`,
  evaluation: (symbol: string, horizon: string) => `v1:eval:${symbol}:${horizon}`,
  flags: () => 'v1:flags',
} as const;

interface Entry<T> {
  v: T;
  asOf: number;
}

export interface Cached<T> {
  value: T;
  /** `hit` served a fresh cached copy, `miss` loaded from the source, `stale` served an old copy because the source failed. */
  cache: 'hit' | 'miss' | 'stale';
  stale: boolean;
  asOf: number;
}

export interface CachePolicy {
  /** How long a copy counts as fresh. */
  freshMs: number;
  /** How long KV keeps the copy for stale fallback (≥ 60 s, KV's minimum). */
  keepSeconds?: number;
  /** Also keep a copy in isolate memory (for the hottest keys). */
  memory?: boolean;
  /** Skip fresh copies and load from the source (the client sent `Cache-Control: no-cache`). */
  bypass?: boolean;
}

const MEMORY_LIMIT = 2_000;
const memory = new Map<string, Entry<unknown>>();

function remember(key: string, entry: Entry<unknown>): void {
  if (memory.size >= MEMORY_LIMIT) {
    // Maps iterate in insertion order: dropping the first key evicts the oldest write.
    const first = memory.keys().next().value;
    if (first !== undefined) memory.delete(first);
  }
  memory.delete(key);
  memory.set(key, entry);
}

/** True when the request asks for a fresh read (`Cache-Control: no-cache`). */
export function wantsFresh(headers: Headers): boolean {
  return /\bno-cache\b/i.test(headers.get('cache-control') ?? '');
}

export interface CacheDeps {
  kv: KVNamespace;
  waitUntil: (p: Promise<unknown>) => void;
  name: string;
}

export async function cached<T>(
  deps: CacheDeps,
  key: string,
  policy: CachePolicy,
  load: () => Promise<T>,
): Promise<Cached<T>> {
  const now = Date.now();
  let fallback: Entry<T> | null = null;

  if (policy.memory) {
    const m = memory.get(key) as Entry<T> | undefined;
    if (m) {
      if (!policy.bypass && now - m.asOf < policy.freshMs) return hit(deps.name, m);
      fallback = m;
    }
  }

  const fromKv = await deps.kv.get<Entry<T>>(key, 'json').catch(() => null);
  if (fromKv && typeof fromKv === 'object' && 'asOf' in fromKv) {
    if (!policy.bypass && now - fromKv.asOf < policy.freshMs) {
      if (policy.memory) remember(key, fromKv);
      return hit(deps.name, fromKv);
    }
    if (!fallback || fromKv.asOf > fallback.asOf) fallback = fromKv;
  }

  try {
    const value = await load();
    const entry: Entry<T> = { v: value, asOf: Date.now() };
    if (policy.memory) remember(key, entry);
    deps.waitUntil(
      deps.kv
        .put(key, JSON.stringify(entry), { expirationTtl: Math.max(60, policy.keepSeconds ?? 3_600) })
        .catch(() => {}),
    );
    observeCache(deps.name, 'miss');
    return { value, cache: 'miss', stale: false, asOf: entry.asOf };
  } catch (err) {
    if (fallback && isDependencyFailure(err)) {
      observeCache(deps.name, 'stale');
      return { value: fallback.v, cache: 'stale', stale: true, asOf: fallback.asOf };
    }
    if (isDependencyFailure(err)) throw dependencyUnavailable(deps.name, err);
    // A bug in a loader (or the request's own ApiError) surfaces as itself, never as stale data.
    throw err;
  }
}

function hit<T>(name: string, e: Entry<T>): Cached<T> {
  observeCache(name, 'hit');
  return { value: e.v, cache: 'hit', stale: false, asOf: e.asOf };
}

/** Drops a key from this isolate and KV (other isolates' memory copies expire by `freshMs`). */
export async function invalidate(kv: KVNamespace, key: string): Promise<void> {
  memory.delete(key);
  await kv.delete(key);
}

import type { SymbolInfo } from '../../schema/contracts/market';
import { type Cached, cached, kvKey } from '../cache';
import { ApiError } from '../errors';
import { getSymbol } from './market-data';

/**
 * Negative answers live only in this isolate, briefly and in a bounded map: a KV entry per
 * unknown symbol asked for would let any client create unbounded entries (1,000 per ingest
 * frame), each kept a day. Known symbols are cached in memory and KV as before.
 */
const UNKNOWN_TTL_MS = 15_000;
const UNKNOWN_LIMIT = 2_000;
const unknownUntil = new Map<string, number>();

function rememberUnknown(symbol: string): void {
  unknownUntil.delete(symbol);
  if (unknownUntil.size >= UNKNOWN_LIMIT) {
    // Maps iterate in insertion order: the first key is the least recently marked.
    const oldest = unknownUntil.keys().next().value;
    if (oldest !== undefined) unknownUntil.delete(oldest);
  }
  unknownUntil.set(symbol, Date.now() + UNKNOWN_TTL_MS);
}

function knownUnknown(symbol: string): boolean {
  const until = unknownUntil.get(symbol);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  unknownUntil.delete(symbol);
  return false;
}

function unknownSymbol(symbol: string): ApiError {
  return new ApiError('unknown_symbol', `Unknown symbol ${symbol}.`);
}

/**
 * Looks a validated symbol code up (cached in memory and KV, stale-tolerant when D1 fails);
 * throws `unknown_symbol` (HTTP 404 `not_found`) for an unknown one without writing anything to KV.
 */
export async function lookupSymbol(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  symbol: string,
  options: { bypass?: boolean } = {},
): Promise<Cached<SymbolInfo>> {
  if (!options.bypass && knownUnknown(symbol)) throw unknownSymbol(symbol);
  try {
    const r = await cached(
      { kv: env.CACHE, waitUntil, name: 'symbol' },
      kvKey.symbol(symbol),
      { freshMs: 30_000, keepSeconds: 86_400, memory: true, bypass: options.bypass },
      async () => {
        // Thrown, not returned: `cached` stores what a loader returns and rethrows an ApiError.
        const info = await getSymbol(env, symbol);
        if (!info) throw unknownSymbol(symbol);
        return info;
      },
    );
    // A null copy written before negative answers stopped going to KV.
    if (!r.value) throw unknownSymbol(symbol);
    return r;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unknown_symbol') rememberUnknown(symbol);
    throw err;
  }
}

/** Resolves a validated symbol code to its record or throws `unknown_symbol` (cached, stale-tolerant). */
export async function requireKnownSymbol(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  symbol: string,
): Promise<SymbolInfo> {
  return (await lookupSymbol(env, waitUntil, symbol)).value;
}

import type { SymbolInfo } from '../../schema/contracts/market';
import { ApiError } from '../errors';
import { cached, kvKey } from './cache';
import { getSymbol } from './market-data';

/** Resolves a validated symbol code to its record or throws `not_found` (cached, stale-tolerant). */
export async function requireKnownSymbol(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  symbol: string,
): Promise<SymbolInfo> {
  const r = await cached(
    { kv: env.CACHE, waitUntil, name: 'symbol' },
    kvKey.symbol(symbol),
    { freshMs: 30_000, keepSeconds: 86_400, memory: true },
    () => getSymbol(env, symbol),
  );
  if (!r.value) throw new ApiError('not_found', `Unknown symbol ${symbol}.`);
  return r.value;
}

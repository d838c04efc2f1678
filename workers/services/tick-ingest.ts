import type { SymbolIngestResult, Tick, TickIngestResult } from '../../schema/contracts/ingest';
import { ApiError } from '../errors';
import { roomFor } from './rooms';
import { requireKnownSymbol } from './symbol-guard';

/**
 * Sequences a validated batch of ticks: one room call per symbol, in parallel. Shared by
 * `POST /api/v1/ingest/ticks` and the publisher socket, so both accept and refuse alike.
 * Every symbol is checked before any room sees a tick (an unknown one rejects the whole
 * batch); when some rooms fail, the error names them and what the others sequenced, and
 * resending the batch is safe because rooms drop `sourceId`s they have seen.
 */
export async function ingestTicks(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  ticks: readonly Tick[],
  traceId: string,
): Promise<TickIngestResult> {
  const bySymbol = new Map<string, Tick[]>();
  for (const t of ticks) {
    const list = bySymbol.get(t.symbol);
    if (list) list.push(t);
    else bySymbol.set(t.symbol, [t]);
  }
  await Promise.all([...bySymbol.keys()].map((s) => requireKnownSymbol(env, waitUntil, s)));
  const entries = [...bySymbol];
  const settled = await Promise.allSettled(
    entries.map(([symbol, list]) => roomFor(env, symbol).ingest(symbol, list, traceId)),
  );
  const symbols: Record<string, SymbolIngestResult> = {};
  const failed: string[] = [];
  settled.forEach((s, i) => {
    const symbol = entries[i]![0];
    if (s.status === 'fulfilled') symbols[symbol] = s.value;
    else failed.push(symbol);
  });
  if (failed.length > 0) {
    throw new ApiError('dependency_failed', 'Some symbols could not be sequenced; resend the batch.', {
      details: { failedSymbols: failed, sequenced: symbols },
    });
  }
  let accepted = 0;
  let duplicates = 0;
  for (const r of Object.values(symbols)) {
    accepted += r.accepted;
    duplicates += r.duplicates;
  }
  return { accepted, duplicates, symbols };
}

import { ApiError } from '../../platform/errors';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import type {
  SymbolIngestResult,
  Tick,
  TickIngestResult,
  TickRejection,
} from '../../schema/contracts/ingest';
import type { ReplayResult, RoomSnapshot, SymbolRoom } from './symbol-room';

/**
 * The symbol-room family's one door for the Worker and other objects: typed stubs named by the
 * symbol, and batch ingest (check every symbol, then one call per room).
 */
export type { ReplayResult, RoomSnapshot, SymbolRoom };

/**
 * The room stub for an already-validated symbol. Callers must validate with `SymbolCode` first:
 * `idFromName` on arbitrary input would create unbounded objects.
 */
export function roomFor(env: Env, symbol: string): DurableObjectStub<SymbolRoom> {
  const ns = env.SYMBOL_ROOM as DurableObjectNamespace<SymbolRoom>;
  return ns.get(ns.idFromName(symbol));
}

/** One symbol's ticks of a batch and their positions in it. */
export interface SymbolTicks {
  ticks: Tick[];
  /** `indices[i]` is the batch position of `ticks[i]`. */
  indices: number[];
}

/** A batch grouped by symbol, every symbol checked against the catalogue. */
export type CheckedTicks = ReadonlyMap<string, SymbolTicks>;

/**
 * Sequences a validated batch of ticks: one room call per symbol, in parallel. Shared by
 * `POST /api/v1/ingest/ticks` and the publisher socket, so both accept and refuse alike.
 * Every symbol is checked before any room sees a tick (an unknown one rejects the whole
 * batch); when some rooms fail, the error names them and what the others sequenced, and
 * resending the batch is safe because rooms drop `sourceId`s they have seen. Ticks a room
 * refuses (ingest bounds, docs/market-data.md) are listed in `rejected` with their batch index.
 */
export async function ingestTicks(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  ticks: readonly Tick[],
  traceId: string,
): Promise<TickIngestResult> {
  return sequenceTicks(await checkTicks(env, waitUntil, ticks), (s) => roomFor(env, s), traceId);
}

/** Groups a batch by symbol and checks each symbol (404 `not_found` for an unknown one). */
export async function checkTicks(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  ticks: readonly Tick[],
): Promise<CheckedTicks> {
  const bySymbol = new Map<string, SymbolTicks>();
  for (const [i, t] of ticks.entries()) {
    const group = bySymbol.get(t.symbol);
    if (group) {
      group.ticks.push(t);
      group.indices.push(i);
    } else bySymbol.set(t.symbol, { ticks: [t], indices: [i] });
  }
  await Promise.all([...bySymbol.keys()].map((s) => requireKnownSymbol(env, waitUntil, s)));
  return bySymbol;
}

/**
 * Hands each symbol's ticks to its room. Every room call is made before this function first
 * yields, so a caller that calls it for batch after batch on the same stubs has them delivered
 * (and sequenced) in that order: calls on one stub arrive in the order made (E-order,
 * https://developers.cloudflare.com/durable-objects/api/stub/).
 */
export async function sequenceTicks(
  checked: CheckedTicks,
  room: (symbol: string) => DurableObjectStub<SymbolRoom>,
  traceId: string,
  /** Told of each symbol whose room call failed (its stub is broken: drop it). */
  onRoomFailed?: (symbol: string) => void,
): Promise<TickIngestResult> {
  const entries = [...checked];
  const settled = await Promise.allSettled(
    entries.map(([symbol, group]) => room(symbol).ingest(symbol, group.ticks, traceId)),
  );
  const symbols: Record<string, SymbolIngestResult> = {};
  const rejected: TickRejection[] = [];
  const failed: string[] = [];
  settled.forEach((s, i) => {
    const [symbol, group] = entries[i]!;
    if (s.status === 'fulfilled') {
      const { rejections, ...counts } = s.value;
      symbols[symbol] = counts;
      for (const r of rejections) {
        const tick = group.ticks[r.index];
        rejected.push({
          index: group.indices[r.index] ?? -1,
          symbol,
          sourceId: tick?.sourceId ?? '',
          code: r.code,
          reason: r.reason,
        });
      }
    } else {
      failed.push(symbol);
      onRoomFailed?.(symbol);
    }
  });
  if (failed.length > 0) {
    throw new ApiError('dependency_failed', 'Some symbols could not be sequenced; resend the batch.', {
      details: { failedSymbols: failed, sequenced: symbols, rejected },
    });
  }
  let accepted = 0;
  let duplicates = 0;
  for (const r of Object.values(symbols)) {
    accepted += r.accepted;
    duplicates += r.duplicates;
  }
  rejected.sort((a, b) => a.index - b.index);
  return { accepted, duplicates, symbols, rejected };
}

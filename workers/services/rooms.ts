import type { SymbolRoom } from '../../durable-objects/symbol-room/symbol-room';

/**
 * The room stub for an already-validated symbol. Callers must validate with `SymbolCode` first:
 * `idFromName` on arbitrary input would create unbounded objects.
 */
export function roomFor(env: Env, symbol: string): DurableObjectStub<SymbolRoom> {
  const ns = env.SYMBOL_ROOM as DurableObjectNamespace<SymbolRoom>;
  return ns.get(ns.idFromName(symbol));
}

/**
 * Hooks through which services report measurements. The metrics module registers the
 * real recorder at start-up; until then measurements are dropped.
 */
export interface Observer {
  d1(op: string, ms: number, ok: boolean): void;
  cache(name: string, outcome: 'hit' | 'miss' | 'stale'): void;
}

let observer: Observer | null = null;

export function setObserver(o: Observer): void {
  observer = o;
}

export function observeD1(op: string, ms: number, ok: boolean): void {
  observer?.d1(op, ms, ok);
}

export function observeCache(name: string, outcome: 'hit' | 'miss' | 'stale'): void {
  observer?.cache(name, outcome);
}

/**
 * A Map with a size cap for per-isolate state keyed by something a client chooses (a key hash,
 * an address): past `cap` entries, writing evicts the entry written least recently. Maps iterate
 * in insertion order and `set` re-inserts, so the first key is always the stalest write.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new RangeError('cap must be at least 1');
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.cap) {
      const first = this.#entries.keys().next();
      if (!first.done) this.#entries.delete(first.value);
    }
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }
}

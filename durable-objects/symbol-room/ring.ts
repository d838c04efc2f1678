/**
 * A fixed-size ring of the most recent items with consecutive, increasing `seq`s. Resume reads
 * from here first; older gaps fall back to the room's SQLite log.
 */
export class SeqRing<T extends { seq: number }> {
  readonly #items: Array<T | undefined>;
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Oldest seq held, or null when empty. */
  get oldestSeq(): number | null {
    return this.#size === 0 ? null : (this.#items[this.#start]?.seq ?? null);
  }

  push(item: T): void {
    const last = this.#at(this.#size - 1);
    // Only consecutive seqs: after a gap (e.g. a restart that skipped filling) start over.
    if (last && item.seq !== last.seq + 1) this.clear();
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size) % this.capacity] = item;
      this.#size++;
    } else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  clear(): void {
    this.#start = 0;
    this.#size = 0;
    this.#items.fill(undefined);
  }

  /** Items with seq > `after` (at most `limit`), or null when the ring does not reach back that far. */
  after(after: number, limit: number): T[] | null {
    const oldest = this.oldestSeq;
    if (oldest === null || oldest > after + 1) return null;
    const out: T[] = [];
    for (let i = Math.max(0, after + 1 - oldest); i < this.#size && out.length < limit; i++) {
      const item = this.#at(i);
      if (item) out.push(item);
    }
    return out;
  }

  #at(i: number): T | undefined {
    if (i < 0 || i >= this.#size) return undefined;
    return this.#items[(this.#start + i) % this.capacity];
  }
}

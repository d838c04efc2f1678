/**
 * Calls of one key that arrive while a call for that key is in flight wait for, and share, the
 * **next** call, which starts when the one in flight ends. So every caller's answer comes from a
 * call that started after the caller arrived (what it would have seen calling alone: a key
 * revoked before an upgrade arrived is refused, never answered from a lookup already under way),
 * while a storm of N callers costs two or three calls instead of N.
 *
 * Only inside a Durable Object: there every request shares the object's I/O context. A stateless
 * Worker request that waits on another request's I/O is cancelled by workerd as hung (tried).
 */
export class NextCall<T> {
  readonly #keys = new Map<string, Batch<T>>();

  run(key: string, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let batch = this.#keys.get(key);
      if (!batch) {
        batch = { busy: false, waiting: [] };
        this.#keys.set(key, batch);
      }
      batch.waiting.push((r) => (r.status === 'fulfilled' ? resolve(r.value) : reject(r.reason)));
      if (!batch.busy) this.#start(key, batch, call);
    });
  }

  /** Keys with a call in flight or callers waiting (bounded by the distinct keys in flight). */
  get size(): number {
    return this.#keys.size;
  }

  #start(key: string, batch: Batch<T>, call: () => Promise<T>): void {
    const callers = batch.waiting.splice(0);
    if (callers.length === 0) {
      this.#keys.delete(key);
      return;
    }
    batch.busy = true;
    let p: Promise<T>;
    try {
      p = call();
    } catch (err) {
      p = Promise.reject(err);
    }
    void p
      .then(
        (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
      )
      .then((r) => {
        for (const settle of callers) settle(r);
        batch.busy = false;
        this.#start(key, batch, call);
      });
  }
}

interface Batch<T> {
  busy: boolean;
  waiting: Array<(r: PromiseSettledResult<T>) => void>;
}

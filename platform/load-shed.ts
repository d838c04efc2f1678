/**
 * An in-flight guard: at most `maxInFlight` pieces of work run at once; a newcomer past that waits
 * up to `maxWaitMs` in a queue of at most `maxQueue` for a slot, and is refused otherwise. Refusing
 * early is the point: past capacity, queueing only turns every answer slow (Little's law), while a
 * refusal costs microseconds and tells the client to come back (`Retry-After`).
 *
 * Used per isolate by the Worker (workers/middleware/load-shed.ts) and per object by Durable
 * Objects' RPC entry points. Everything is bounded: the counter and a FIFO of waiters ≤ maxQueue.
 *
 * A waiter looks for its slot on its own timer (every `POLL_MS`) instead of being handed one by
 * the request that frees it: in the Worker each waiter is a different request, and a promise one
 * request resolves for another resumes the waiter outside its own context — workerd then refuses
 * its I/O ("Cannot perform I/O on behalf of a different request"), a 500 seen under 4× overload.
 *
 * A standing queue (waiters without a break for longer than `maxWaitMs`, the signal CoDel reads)
 * means the overload is sustained, not a burst: a newcomer is then refused at once instead of
 * waiting out `maxWaitMs` for a slot that the waiters ahead of it will take, so its 503 comes in
 * milliseconds and costs no timers. Once the queue has drained, newcomers wait again.
 */
export interface LoadShedOptions {
  maxInFlight: number;
  /** How long a newcomer may wait for a slot; 0 refuses at once when full. */
  maxWaitMs: number;
  /** Waiters allowed at once (default: maxInFlight). */
  maxQueue?: number;
  /**
   * Adaptive limit: when the median duration of recent work exceeds this, the limit shrinks
   * (×0.7, not below `minInFlight`); while it stays under half of it, the limit grows back by one
   * up to `maxInFlight`. Off when absent. Durations are wall time across I/O (Workers clocks
   * advance only on I/O), which is what a client waits for.
   */
  targetMs?: number;
  /** Floor of the adaptive limit (default 2). */
  minInFlight?: number;
}

/** Completed durations the adaptive limit looks at, and how often it is revised. */
const WINDOW = 16;
/** How often a waiter looks for a freed slot. */
const POLL_MS = 5;

/**
 * Durable Objects' RPC entry points: calls already run one at a time between awaits, so calls in
 * flight pile up only behind a stalled await (storage, D1); past this many, refuse at once.
 */
export const ROOM_SHED: LoadShedOptions = { maxInFlight: 64, maxWaitMs: 0 };

/** Thrown by `InFlightGuard.run` when the work was refused; carries the suggested retry delay. */
export class OverloadedError extends Error {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds = 1) {
    super(`${what} is overloaded; retry after ${retryAfterSeconds} s`);
    this.name = 'OverloadedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A newcomer waiting for a slot, in arrival order; only its own timers touch its promise. */
interface Waiter {
  deadline: number;
}
/** A waiter this long past its deadline is gone (its request was cancelled with its timers). */
const STALE_MS = 1_000;

export class InFlightGuard {
  readonly #opts: Required<Omit<LoadShedOptions, 'targetMs'>> & { targetMs: number | null };
  #inFlight = 0;
  #limit: number;
  /** Ring of recent durations (ms), for the adaptive limit. */
  readonly #recent: number[] = [];
  #completed = 0;
  readonly #waiters: Waiter[] = [];
  /** When the wait queue was last seen empty (0: not yet seen; the clock is read in requests). */
  #queueEmptyAt = 0;
  #shed = 0;

  constructor(opts: LoadShedOptions) {
    this.#opts = {
      maxInFlight: Math.max(1, Math.floor(opts.maxInFlight)),
      maxWaitMs: Math.max(0, opts.maxWaitMs),
      maxQueue: Math.max(0, Math.floor(opts.maxQueue ?? opts.maxInFlight)),
      targetMs: opts.targetMs && opts.targetMs > 0 ? opts.targetMs : null,
      minInFlight: Math.max(1, Math.floor(opts.minInFlight ?? 2)),
    };
    this.#limit = this.#opts.maxInFlight;
  }

  /** The limit now (below maxInFlight while the adaptive limit has shrunk it). */
  get limit(): number {
    return this.#limit;
  }

  /** Work running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Newcomers waiting for a slot now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Refusals since this guard was created. */
  get shed(): number {
    return this.#shed;
  }

  /**
   * A slot: resolves to its release function (call it exactly once when the work ends), or to
   * null when refused (full and the queue full or standing, or no slot freed within `maxWaitMs`).
   */
  acquire(): Promise<(() => void) | null> | (() => void) | null {
    const now = Date.now();
    this.#dropStale(now);
    if (this.#waiters.length === 0) this.#queueEmptyAt = now;
    if (this.#inFlight < this.#limit && this.#waiters.length === 0) return this.#take();
    if (this.#opts.maxWaitMs === 0 || this.#waiters.length >= this.#opts.maxQueue || this.standingQueue) {
      this.#shed++;
      return null;
    }
    const deadline = now + this.#opts.maxWaitMs;
    const waiter: Waiter = { deadline };
    this.#waiters.push(waiter);
    return new Promise((resolve) => {
      const look = () => {
        this.#dropStale(Date.now());
        // Slots free now go to the waiters at the head of the queue, one each.
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0 && i < this.#limit - this.#inFlight) {
          this.#leave(i);
          resolve(this.#take());
        } else if (Date.now() >= deadline) {
          if (i >= 0) this.#leave(i);
          this.#shed++;
          resolve(null);
        } else setTimeout(look, Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      };
      setTimeout(look, Math.min(POLL_MS, this.#opts.maxWaitMs));
    });
  }

  /**
   * Waiters have stood in the queue without a break for longer than a full wait: the overload is
   * sustained, and newcomers are refused at once (see the class comment).
   */
  get standingQueue(): boolean {
    return (
      this.#waiters.length > 0 &&
      this.#queueEmptyAt > 0 &&
      Date.now() - this.#queueEmptyAt > this.#opts.maxWaitMs
    );
  }

  #leave(i: number): void {
    this.#waiters.splice(i, 1);
    if (this.#waiters.length === 0) this.#queueEmptyAt = Date.now();
  }

  #dropStale(now: number): void {
    while (this.#waiters.length > 0 && (this.#waiters[0]?.deadline ?? now) + STALE_MS < now) {
      this.#leave(0);
    }
  }

  /** Runs `work` in a slot, or throws `OverloadedError` (named `what`) when refused. */
  async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    if (!release) throw new OverloadedError(what);
    try {
      return await work();
    } finally {
      release();
    }
  }

  #take(): () => void {
    this.#inFlight++;
    const started = Date.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#observe(Date.now() - started);
      // Waiters find the freed slot on their own timers (see the class comment).
    };
  }

  #observe(ms: number): void {
    const target = this.#opts.targetMs;
    if (target === null) return;
    this.#recent[this.#completed % WINDOW] = ms;
    this.#completed++;
    if (this.#completed % WINDOW !== 0) return;
    const sorted = [...this.#recent].sort((a, b) => a - b);
    const median = sorted[WINDOW >> 1] ?? 0;
    if (median > target) this.#limit = Math.max(this.#opts.minInFlight, Math.floor(this.#limit * 0.7));
    else if (median < target / 2) this.#limit = Math.min(this.#opts.maxInFlight, this.#limit + 1);
  }
}

/**
 * Guards whose state the isolate reports in its metrics (`skippy_load_shed_*`), by name: the
 * Worker's per-isolate API guard registers itself. Objects' guards are not reported: there is one
 * per object, and their refusals already surface as the callers' 503s.
 */
const reported = new Map<string, InFlightGuard>();

/** Reports `guard` under `name` from now on (replacing a previous guard of that name). */
export function reportGuard(name: string, guard: InFlightGuard): void {
  reported.set(name, guard);
}

export function reportedGuards(): ReadonlyMap<string, InFlightGuard> {
  return reported;
}

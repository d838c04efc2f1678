import { config } from '../config';
import { isDependencyFailure } from '../errors';
import { createLogger } from '../logger';
import { FlagClient, type FlagSnapshot } from './evaluate';
import { readKvCopy, readStates } from './storage';

/**
 * One isolate's copy of the flag set. Requests evaluate against memory (no I/O); a copy older
 * than `FLAGS_REFRESH_MS` is re-read from D1 in the background (one read in flight per isolate),
 * so a change made anywhere is seen by every isolate within about one refresh interval. Only an
 * isolate's first request waits for a read. When D1 fails the old copy stays; an isolate that
 * never read one takes KV's last-known-good copy, else the defaults: a flag that cannot be read
 * answers its default, never an error.
 */
export class FlagCache {
  #snapshot: FlagSnapshot | null = null;
  #inFlight: Promise<FlagSnapshot> | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  get snapshot(): FlagSnapshot | null {
    return this.#snapshot;
  }

  /** The current snapshot, refreshing it in the background (`waitUntil`) when it is old. */
  async current(env: Env, waitUntil: (p: Promise<unknown>) => void): Promise<FlagSnapshot> {
    const snap = this.#snapshot;
    if (!snap) return this.refresh(env);
    if (this.now() - snap.loadedAt >= config(env).FLAGS_REFRESH_MS)
      waitUntil(this.refresh(env).catch(() => {}));
    return snap;
  }

  /** Re-reads now (the admin API calls this after a change so its own isolate sees it at once). */
  refresh(env: Env): Promise<FlagSnapshot> {
    this.#inFlight ??= this.#load(env).finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #load(env: Env): Promise<FlagSnapshot> {
    const envDefaults = config(env).FLAG_DEFAULTS;
    try {
      const states = await readStates(env);
      this.#snapshot = { states, envDefaults, source: 'd1', loadedAt: this.now() };
      return this.#snapshot;
    } catch (err) {
      if (!isDependencyFailure(err)) throw err;
      createLogger({}).warn('flags: D1 read failed; keeping the last copy', { error: err.message });
    }
    if (this.#snapshot) {
      // Try again after another interval rather than on every request while D1 is down.
      this.#snapshot = { ...this.#snapshot, loadedAt: this.now() };
      return this.#snapshot;
    }
    const kv = await readKvCopy(env).catch(() => null);
    this.#snapshot = kv
      ? { states: kv, envDefaults, source: 'kv', loadedAt: this.now() }
      : { states: new Map(), envDefaults, source: 'defaults', loadedAt: this.now() };
    return this.#snapshot;
  }
}

/** The isolate's cache (module state is per isolate: the Worker's and each object's). */
export const isolateFlags = new FlagCache();

/** A client for one request: evaluation in memory, targeted at the caller's API key id. */
export async function flagsFor(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  targetingKey?: string,
): Promise<FlagClient> {
  try {
    const snap = await isolateFlags.current(env, waitUntil);
    return new FlagClient(snap, targetingKey === undefined ? {} : { targetingKey });
  } catch (err) {
    // A bug in loading must not take a feature's request down with it: defaults answer.
    createLogger({}).error('flags: load failed; serving defaults', { error: String(err) });
    return new FlagClient(null, targetingKey === undefined ? {} : { targetingKey });
  }
}

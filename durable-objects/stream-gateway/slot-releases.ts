import { keySocketsFor } from '../key-sockets/client';

/** Releases of closed sockets' slots wait this long so that a burst of closes costs one call per key. */
const RELEASE_BATCH_MS = 50;

/**
 * Gives closed sockets' slots back to their keys' KeySockets objects, batched per key and off the
 * sockets' path: a reconnect storm closes as many sockets as it opens.
 */
export class SlotReleases {
  /** Per key, the ids of closed sockets whose slots are still to be released. */
  readonly #pending = new Map<string, string[]>();

  constructor(
    private readonly env: Env,
    private readonly waitUntil: (p: Promise<unknown>) => void,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  release(keyId: string, connId: string): void {
    const scheduled = this.#pending.size > 0;
    const list = this.#pending.get(keyId);
    if (list) list.push(connId);
    else this.#pending.set(keyId, [connId]);
    if (scheduled) return;
    this.waitUntil(
      new Promise((r) => setTimeout(r, RELEASE_BATCH_MS)).then(async () => {
        const batch = [...this.#pending];
        this.#pending.clear();
        await Promise.all(
          batch.map(([key, ids]) =>
            keySocketsFor(this.env, key)
              .release(ids)
              // Lost releases are reclaimed when the key reaches its limit (KeySockets reconciles).
              .catch((err: unknown) => this.warn('socket slot release failed', { error: String(err) })),
          ),
        );
      }),
    );
  }
}

/** Reconnect delays: exponential with "full jitter" (a random delay up to the exponential cap). */
export interface BackoffOptions {
  /** First cap in ms (default 500). */
  initialMs?: number;
  /** Largest cap in ms (default 30,000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/**
 * Full jitter spreads reconnecting clients over the whole window, so a server restart is not
 * followed by a thundering herd (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const cap = Math.min(max, initial * (opts.factor ?? 2) ** Math.max(0, attempt));
  return Math.round(random() * cap);
}

import type { Outcome } from './stats';

export interface ArrivalOptions {
  /** Arrivals per second. */
  rate: number;
  durationMs: number;
  /** In-flight cap: an arrival finding it full is dropped and counted, as k6 does when out of VUs. */
  maxInFlight: number;
  /** One request; called at its scheduled arrival time whatever the previous ones are doing. */
  run: (i: number) => Promise<Outcome>;
}

/**
 * An open-model load generator (k6's `constant-arrival-rate`): arrivals follow the clock, not
 * the responses, so a slow server meets the same demand instead of being given a rest.
 */
export async function constantArrivalRate(
  opts: ArrivalOptions,
): Promise<{ outcomes: Outcome[]; dropped: number }> {
  const total = Math.max(1, Math.floor((opts.rate * opts.durationMs) / 1000));
  const gapMs = 1000 / opts.rate;
  const started = performance.now();
  const outcomes: Outcome[] = [];
  const pending = new Set<Promise<void>>();
  let dropped = 0;
  for (let i = 0; i < total; i++) {
    const wait = started + i * gapMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (pending.size >= opts.maxInFlight) {
      dropped++;
      continue;
    }
    const p = opts
      .run(i)
      .catch((): Outcome => ({ ms: 0, status: 0 }))
      .then((o) => {
        outcomes.push(o);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  return { outcomes, dropped };
}

/** A timed HTTP request; `stale` is read from JSON bodies that carry it. */
export async function timedFetch(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const ms = performance.now() - t0;
    return { ms, status: res.status, stale: /"stale":true/.test(text) };
  } catch {
    return { ms: performance.now() - t0, status: 0 };
  }
}

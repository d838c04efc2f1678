import { ApiError, DependencyError } from '../errors';

/**
 * A per-isolate circuit breaker. After `failureThreshold` consecutive failures the circuit opens
 * and calls fail fast for `openMs`; then one probe is let through (half-open) and its outcome
 * closes or re-opens the circuit. Callers fall back to cached copies while it is open.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
}

export class CircuitOpenError extends DependencyError {
  override readonly name = 'CircuitOpenError';
  constructor(dependency: string) {
    super(dependency, `Circuit for ${dependency} is open`);
  }
}

export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;
  #transitions = 0;

  constructor(
    readonly name: string,
    private readonly options: BreakerOptions = { failureThreshold: 5, openMs: 5_000 },
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.options.openMs) return 'half_open';
    return this.#state;
  }

  /** How many times the state changed: a metric an operator can alert on. */
  get transitions(): number {
    return this.#transitions;
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open') throw new CircuitOpenError(this.name);
    if (state === 'half_open') {
      if (this.#probeInFlight) throw new CircuitOpenError(this.name);
      this.#probeInFlight = true;
    }
    try {
      const result = await fn();
      this.#onSuccess();
      return result;
    } catch (err) {
      // The request's own outcome (404, 422…) says nothing about the dependency's health.
      if (err instanceof ApiError) {
        this.#onSuccess();
        throw err;
      }
      this.#onFailure();
      if (err instanceof DependencyError) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      throw new DependencyError(this.name, `${this.name} failed: ${detail}`, { cause: err });
    } finally {
      if (state === 'half_open') this.#probeInFlight = false;
    }
  }

  #onSuccess(): void {
    this.#failures = 0;
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      this.#transitions++;
    }
  }

  #onFailure(): void {
    this.#failures++;
    const wasHalfOpen = this.state === 'half_open';
    if (wasHalfOpen || this.#failures >= this.options.failureThreshold) {
      if (this.#state !== 'open' || wasHalfOpen) this.#transitions++;
      this.#state = 'open';
      this.#openedAt = this.now();
    }
  }
}

const breakers = new Map<string, CircuitBreaker>();

/** The isolate's breaker for `dependency` (one per dependency name). */
export function breakerFor(dependency: string): CircuitBreaker {
  let b = breakers.get(dependency);
  if (!b) {
    b = new CircuitBreaker(dependency);
    breakers.set(dependency, b);
  }
  return b;
}

export function allBreakers(): CircuitBreaker[] {
  return [...breakers.values()];
}

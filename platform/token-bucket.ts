import { z } from 'zod';

/** A token bucket as stored (in a socket attachment): tokens left and when they were last refilled. */
export const StoredBucket = z.object({ t: z.number(), at: z.number() });
export type StoredBucket = z.infer<typeof StoredBucket>;

/** A token bucket: `rate` per second, at most `burst`. */
export class Bucket {
  constructor(
    readonly rate: number,
    readonly burst: number,
    public tokens = burst,
    public at = Date.now(),
  ) {}

  /** Takes `cost` tokens; false (and nothing taken) when there are not enough. */
  take(now: number, cost: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /**
   * Takes `cost` tokens even when short, down to `1 - burst` (a refused attempt still costs, so a
   * client hammering a refusal keeps itself refused; the wait never exceeds `burst / rate`).
   * True when there were enough.
   */
  spend(now: number, cost: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) / 1000) * this.rate);
    this.at = now;
    const enough = this.tokens >= cost;
    this.tokens = Math.max(1 - this.burst, this.tokens - cost);
    return enough;
  }

  /** Seconds until `cost` tokens are there again. */
  wait(cost = 1): number {
    return Math.max(0, (cost - this.tokens) / this.rate);
  }

  stored(): StoredBucket {
    return { t: this.tokens, at: this.at };
  }
}

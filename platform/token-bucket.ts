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

  stored(): StoredBucket {
    return { t: this.tokens, at: this.at };
  }
}

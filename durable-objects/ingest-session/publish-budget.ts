import type { RateLimitTier } from '../../platform/auth/api-keys';
import { KEY_REQUEST_LIMITS, KEY_REQUEST_WINDOW_SECONDS } from '../../platform/rate-limits';
import { Bucket } from '../../platform/token-bucket';

/**
 * A key's budget for publisher frames, counted where every publisher socket of the key lands:
 * its one `IngestSession` object. The numbers are the key's request budget (600 a minute on
 * `standard`, refilled continuously, bursts up to a minute's worth), but the count is local and
 * exact instead of a call to the shared rate-limit binding per frame: that call was a
 * subrequest between every tick's arrival and its sequencing, queued behind fan-out work on the
 * same thread (issue 17: no round trip between a tick's arrival and its fan-out), and cost more
 * CPU than the rest of the frame. Like the stream's own limits, publishing is therefore no
 * longer charged to the REST budget (docs/streaming.md, "Limits"). An evicted object starts
 * the key afresh; it is evicted only when its sockets have been idle.
 */
export class PublishBudget {
  readonly #bucket: Bucket;

  constructor(readonly tier: RateLimitTier) {
    const perWindow = KEY_REQUEST_LIMITS[tier];
    this.#bucket = new Bucket(perWindow / KEY_REQUEST_WINDOW_SECONDS, perWindow);
  }

  /** Takes one frame's worth; null when allowed, else the seconds until one is. */
  take(now: number): number | null {
    if (this.#bucket.take(now, 1)) return null;
    return Math.max(1, Math.ceil(this.#bucket.wait()));
  }
}

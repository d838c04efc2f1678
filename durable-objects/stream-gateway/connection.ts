import { z } from 'zod';
import { type Channel, STREAM_LIMITS } from '../../schema/contracts/stream';
import type { WireMessage } from '../symbol-room/fan-out';

/**
 * Per-socket identity that must survive hibernation. Attachments are capped at 2,048 bytes
 * (https://developers.cloudflare.com/durable-objects/best-practices/websockets/), too small for
 * 100 subscriptions, so subscriptions live in the gateway's SQLite (`SubscriptionStore`).
 */
export const ConnAttachment = z.object({
  id: z.string(),
  keyId: z.string(),
  gateway: z.string(),
});
export type ConnAttachment = z.infer<typeof ConnAttachment>;

const CH_BIT: Record<Channel, number> = { trades: 1, quotes: 2, bars: 4 };
const CHANNELS: readonly Channel[] = ['trades', 'quotes', 'bars'];

export function maskOf(channels: readonly Channel[]): number {
  let m = 0;
  for (const c of channels) m |= CH_BIT[c];
  return m;
}

export function channelsOf(mask: number): Channel[] {
  return CHANNELS.filter((c) => (mask & CH_BIT[c]) !== 0);
}

export function inMask(mask: number, ch: Channel): boolean {
  return (mask & CH_BIT[ch]) !== 0;
}

/** Flow-control thresholds: past these unacknowledged amounts a socket counts as behind. */
export const FLOW = {
  conflateFrames: 128,
  conflateBytes: 512 * 1024,
  /** A socket behind by this many skipped messages, or for this long, is closed (slow consumer). */
  closeAfterSkipped: 2_000,
  closeAfterMs: 30_000,
  /** Repeated offences before a socket is closed. */
  maxBadFrames: 10,
  maxFloodDrops: 50,
} as const;

/**
 * One socket's live state: subscriptions (mirrored into the attachment), the token bucket that
 * limits client frames, and the outstanding-send accounting behind slow-consumer handling.
 * workerd exposes no `bufferedAmount` on server sockets, so the client acknowledges data frames
 * (`ack`) and the gateway counts what is still unacknowledged.
 */
export class Connection {
  readonly subs = new Map<string, number>();
  tokens: number = STREAM_LIMITS.frameBurst;
  refilledAt = Date.now();
  badFrames = 0;
  floodDrops = 0;
  /** Sizes of data frames sent and not yet acknowledged, oldest first. */
  readonly #unacked: number[] = [];
  #unackedHead = 0;
  #unackedBytes = 0;
  /** While behind: the latest message per symbol and channel, and how many were skipped. */
  readonly pending = new Map<string, WireMessage & { symbol: string }>();
  skipped = 0;
  behindSince: number | null = null;
  /** Per symbol: messages at or below this seq were already covered by a snapshot or replay. */
  readonly floor = new Map<string, number>();
  /** Per symbol: live messages held while a snapshot or replay is being sent. */
  readonly syncing = new Map<string, WireMessage[]>();

  constructor(
    readonly ws: WebSocket,
    readonly meta: ConnAttachment,
  ) {}

  /** Takes `cost` tokens; false when the client is sending faster than allowed. */
  take(now: number, cost = 1): boolean {
    const elapsed = (now - this.refilledAt) / 1000;
    this.refilledAt = now;
    this.tokens = Math.min(STREAM_LIMITS.frameBurst, this.tokens + elapsed * STREAM_LIMITS.framesPerSecond);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  get behind(): boolean {
    return (
      this.#unacked.length - this.#unackedHead >= FLOW.conflateFrames ||
      this.#unackedBytes >= FLOW.conflateBytes
    );
  }

  sent(bytes: number): void {
    this.#unacked.push(bytes);
    this.#unackedBytes += bytes;
  }

  acked(frames: number): void {
    for (let i = 0; i < frames && this.#unackedHead < this.#unacked.length; i++) {
      this.#unackedBytes -= this.#unacked[this.#unackedHead++] ?? 0;
    }
    if (this.#unackedHead > 1024 && this.#unackedHead * 2 > this.#unacked.length) {
      this.#unacked.splice(0, this.#unackedHead);
      this.#unackedHead = 0;
    }
  }

  subscriptions(): Record<string, Channel[]> {
    const out: Record<string, Channel[]> = {};
    for (const [s, m] of [...this.subs].sort((a, b) => a[0].localeCompare(b[0]))) out[s] = channelsOf(m);
    return out;
  }
}

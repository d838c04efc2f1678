import { z } from 'zod';
import { Bucket, StoredBucket } from '../../platform/token-bucket';
import type { WireMessage } from '../../schema/contracts/stream';
import { type Channel, STREAM_LIMITS } from '../../schema/contracts/stream';

/**
 * What a socket has used of its budgets. Kept in the attachment (on every change that matters),
 * so a socket the gateway meets again after hibernation resumes with what it had left, never with
 * a full budget.
 */
export const ConnBudget = z.object({
  frames: StoredBucket,
  bytes: StoredBucket,
  snapshots: StoredBucket,
  bad: z.number().int().min(0),
  drops: z.number().int().min(0),
});
export type ConnBudget = z.infer<typeof ConnBudget>;

/**
 * Per-socket identity that must survive hibernation. Attachments are capped at 2,048 bytes
 * (https://developers.cloudflare.com/durable-objects/best-practices/websockets/), too small for
 * 100 subscriptions, so subscriptions live in the gateway's SQLite (`SubscriptionStore`).
 * `closing` marks a socket the gateway closed: frames it still delivers are dropped unread.
 */
export const ConnAttachment = z.object({
  id: z.string(),
  keyId: z.string(),
  gateway: z.string(),
  closing: z.boolean().optional(),
  budget: ConnBudget.optional(),
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
  /** Twice `ackEvery`: a client acking every `ackEvery/2` frames (the shipped client) is never near it. */
  conflateFrames: 2 * STREAM_LIMITS.ackEvery,
  conflateBytes: 512 * 1024,
  /** A socket behind by this many skipped messages, or for this long, is closed (slow consumer). */
  closeAfterSkipped: 2_000,
  closeAfterMs: 30_000,
  /** Repeated offences before a socket is closed. */
  maxBadFrames: STREAM_LIMITS.maxBadFrames,
  maxFloodDrops: STREAM_LIMITS.maxFloodDrops,
  /** Subscribe/resume requests of one socket answered at the same time; more are refused. */
  maxRequestsInFlight: 4,
} as const;

/**
 * One socket's live state: subscriptions (mirrored into SQLite), the budgets that limit client
 * frames (restored from the attachment after hibernation), and the outstanding-send accounting
 * behind slow-consumer handling. workerd exposes no `bufferedAmount` on server sockets, so the
 * client acknowledges data frames (`ack`) and the gateway counts what is still unacknowledged.
 */
export class Connection {
  readonly subs = new Map<string, number>();
  /** Client frames (an ack costs `ackCost`), client bytes, and symbol snapshots. */
  readonly frames: Bucket;
  readonly bytes: Bucket;
  readonly snapshots: Bucket;
  badFrames: number;
  floodDrops: number;
  /** Snapshot or replay requests being answered now (at most `FLOW.maxRequestsInFlight`). */
  requests = 0;
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
  ) {
    const b = meta.budget;
    const L = STREAM_LIMITS;
    this.frames = new Bucket(L.framesPerSecond, L.frameBurst, b?.frames.t, b?.frames.at);
    this.bytes = new Bucket(L.bytesPerSecond, L.byteBurst, b?.bytes.t, b?.bytes.at);
    this.snapshots = new Bucket(L.snapshotsPerSecond, L.snapshotBurst, b?.snapshots.t, b?.snapshots.at);
    this.badFrames = b?.bad ?? 0;
    this.floodDrops = b?.drops ?? 0;
  }

  /** The budgets as the attachment keeps them. */
  budget(): ConnBudget {
    return {
      frames: this.frames.stored(),
      bytes: this.bytes.stored(),
      snapshots: this.snapshots.stored(),
      bad: this.badFrames,
      drops: this.floodDrops,
    };
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

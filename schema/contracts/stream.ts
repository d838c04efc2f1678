import { z } from 'zod';
import { STREAM_ERROR_CODES } from './error-codes';
import { OhlcvRowSchema } from './ohlcv';
import { SymbolCodeShape as SymbolCode } from './symbol-code';

/**
 * The stream's wire protocol: every frame rooms, gateways, the publisher socket, the client and the
 * dashboard exchange. Plain zod on purpose: it is bundled into browsers and bots.
 */

/**
 * Market-data messages as a room sequences them. `seq` is per symbol and never repeats or goes
 * back; `ts` is the feed's event time and `st` the server time at which the room sequenced it.
 */
const Envelope = z.object({
  symbol: SymbolCode,
  seq: z.number().int().positive(),
  ts: z.number().int(),
  st: z.number().int(),
});

export const TradeMessage = Envelope.extend({
  type: z.literal('trade'),
  price: z.number(),
  size: z.number(),
});
export const QuoteMessage = Envelope.extend({
  type: z.literal('quote'),
  bid: z.number(),
  bidSize: z.number(),
  ask: z.number(),
  askSize: z.number(),
});
export const BarMessage = Envelope.extend({
  type: z.literal('bar'),
  tf: z.literal('1m'),
  t: z.number().int(),
  o: z.number(),
  h: z.number(),
  l: z.number(),
  c: z.number(),
  v: z.number(),
  /** True once the bar's minute has closed; the last message for a bar always has `final: true`. */
  final: z.boolean(),
});
export const MarketMessage = z.discriminatedUnion('type', [TradeMessage, QuoteMessage, BarMessage]);
export type TradeMessage = z.infer<typeof TradeMessage>;
export type QuoteMessage = z.infer<typeof QuoteMessage>;
export type BarMessage = z.infer<typeof BarMessage>;
export type MarketMessage = z.infer<typeof MarketMessage>;

export const Channel = z.enum(['trades', 'quotes', 'bars']);
export type Channel = z.infer<typeof Channel>;

export function channelOf(m: MarketMessage): Channel {
  return m.type === 'trade' ? 'trades' : m.type === 'quote' ? 'quotes' : 'bars';
}

// ---------------------------------------------------------------------------------------------
// WebSocket protocol (`GET /api/v1/stream`), documented with examples in docs/streaming.md.
// Every frame is one JSON text message. The server parses each client frame with `ClientFrame`.
// ---------------------------------------------------------------------------------------------

/** Limits the gateway enforces per socket; echoed in the `welcome` frame. */
export const STREAM_LIMITS = {
  /** Largest client frame accepted; bigger ones close the socket with 1009. */
  maxFrameBytes: 16 * 1024,
  /** Distinct symbols one socket may subscribe to. */
  maxSymbols: 100,
  /** Symbols one subscribe/unsubscribe/resume frame may name (more than `maxSymbols`, so that an over-limit request gets `too_many_subscriptions`). */
  maxSymbolsPerFrame: 200,
  /** Client frames per second (token bucket) and the burst allowed above it. */
  framesPerSecond: 10,
  frameBurst: 20,
  /** Tokens an `ack` frame costs (written exactly as `{"type":"ack",…`), so acks never starve requests. */
  ackCost: 0.1,
  /** A client acknowledges data frames with `{type:'ack', frames:n}` at least every this many frames… */
  // 2,048 (was 32, 64, then 512): every ack is a hibernatable-WebSocket event, and an event costs
  // the gateway's thread more than a hundred sends (docs/streaming.md, "What an event costs"). At
  // 1,000 subscribers of 20 ticks/s, acks every 64 frames were ~300 events/s, the largest cost after
  // the sends themselves. Flow control needs the bytes bound (memory), not a tight frame count: the
  // window is FLOW.conflateBytes (512 KiB, twice `ackBytes`) and FLOW.conflateFrames (2 × this).
  ackEvery: 2048,
  /** …or once this many bytes of data frames arrived since the last ack, whichever comes first. */
  ackBytes: 256 * 1024,
  /** Recent 1-minute bars included in a snapshot by default, and the most a client may ask for. */
  snapshotBars: 30,
  maxSnapshotBars: 500,
  /**
   * Symbol snapshots (one per symbol of a subscribe or resume) a socket may request at once, and
   * per second after that: a full subscribe fits, a subscribe loop is refused (`rate_limited`).
   */
  snapshotBurst: 100,
  snapshotsPerSecond: 5,
  /** Client bytes per second (token bucket) and the burst above it, dropped frames included. */
  bytesPerSecond: 64 * 1024,
  byteBurst: 256 * 1024,
  /** Invalid frames (not JSON, wrong schema, binary) before the socket is closed with 4002; publisher sockets too. */
  maxBadFrames: 10,
  /** Frames dropped for exceeding a budget before the socket is closed with 4008. */
  maxFloodDrops: 50,
} as const;

const Symbols = z.array(SymbolCode).min(1).max(STREAM_LIMITS.maxSymbolsPerFrame);
const Channels = z.array(Channel).min(1).max(3);
const RequestId = z.string().max(64).optional();

export const SubscribeFrame = z
  .object({
    type: z.literal('subscribe'),
    id: RequestId,
    symbols: Symbols,
    channels: Channels.default(['trades', 'quotes', 'bars']),
    /** Recent closed 1-minute bars to include in the snapshot (0 for none). */
    bars: z.number().int().min(0).max(STREAM_LIMITS.maxSnapshotBars).optional(),
  })
  .strict();
export const UnsubscribeFrame = z
  .object({
    type: z.literal('unsubscribe'),
    id: RequestId,
    symbols: Symbols,
    /** Channels to drop; all of the symbol's channels when absent. */
    channels: Channels.optional(),
  })
  .strict();
export const ResumeFrame = z
  .object({
    type: z.literal('resume'),
    id: RequestId,
    /** The last seq the client processed, per symbol. */
    from: z.record(SymbolCode, z.number().int().min(0)).refine((r) => {
      const n = Object.keys(r).length;
      return n >= 1 && n <= STREAM_LIMITS.maxSymbolsPerFrame;
    }, `1 to ${STREAM_LIMITS.maxSymbolsPerFrame} symbols`),
    channels: Channels.default(['trades', 'quotes', 'bars']),
  })
  .strict();
/** The stream URL's own requests, as sent: comma-separated lists (`resume` as `SYMBOL:seq` pairs). */
export interface StreamUrlQuery {
  subscribe?: string | undefined;
  resume?: string | undefined;
  channels?: string | undefined;
  bars?: string | undefined;
}

/** What an upgrade URL asks the gateway to do first: a subscribe frame, a resume frame, or both. */
export const UrlRequests = z.array(z.discriminatedUnion('type', [SubscribeFrame, ResumeFrame])).max(2);
export type UrlRequests = z.infer<typeof UrlRequests>;

/**
 * The frames an upgrade URL carries (`GET /api/v1/stream?subscribe=AAPL,BTC-USD&bars=30`,
 * `?resume=AAPL:1234,BTC-USD:98`, either with `channels=trades,quotes`), each checked against its
 * frame's own contract. The gateway answers them as the socket's first requests, so a client
 * (re)connecting, alone or in a storm, needs no message of its own to be subscribed or resumed.
 */
export function urlRequests(q: StreamUrlQuery): ReturnType<typeof UrlRequests.safeParse> {
  const channels = q.channels === undefined ? {} : { channels: q.channels.split(',') };
  const frames: unknown[] = [];
  if (q.subscribe !== undefined || q.bars !== undefined)
    frames.push({
      type: 'subscribe',
      // `bars` without `subscribe` fails here, on `symbols`.
      symbols: q.subscribe?.split(','),
      ...channels,
      // Non-numbers stay strings so that the contract's own message names what is wrong.
      ...(q.bars === undefined ? {} : { bars: /^\d{1,6}$/.test(q.bars) ? Number(q.bars) : q.bars }),
    });
  if (q.resume !== undefined) {
    // Own properties only (`fromEntries`): a pair named `__proto__` is a bad symbol, not a prototype.
    const from = Object.fromEntries(
      q.resume.split(',').map((pair) => {
        const at = pair.lastIndexOf(':');
        const seq = at < 0 ? '' : pair.slice(at + 1);
        return [at < 0 ? pair : pair.slice(0, at), /^\d{1,15}$/.test(seq) ? Number(seq) : seq];
      }),
    );
    frames.push({ type: 'resume', from, ...channels });
  }
  // `channels` alone asks for nothing: refused like a subscribe without symbols.
  if (frames.length === 0 && q.channels !== undefined) frames.push({ type: 'subscribe', ...channels });
  return UrlRequests.safeParse(frames);
}

/** Flow control: the number of data frames processed since the previous ack. */
export const AckFrame = z
  .object({ type: z.literal('ack'), frames: z.number().int().min(1).max(1_000_000) })
  .strict();
export const ClientFrame = z.discriminatedUnion('type', [
  SubscribeFrame,
  UnsubscribeFrame,
  ResumeFrame,
  AckFrame,
]);
export type SubscribeFrame = z.infer<typeof SubscribeFrame>;
export type UnsubscribeFrame = z.infer<typeof UnsubscribeFrame>;
export type ResumeFrame = z.infer<typeof ResumeFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Heartbeat strings answered by the runtime itself, without waking a hibernated object. */
export const HEARTBEAT = { ping: '{"type":"ping"}', pong: '{"type":"pong"}' } as const;

/** Close codes (4000–4999 are application codes, RFC 6455 §7.4.2). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  messageTooBig: 1009,
  serviceRestart: 1012,
  authFailed: 4001,
  badMessage: 4002,
  rateLimited: 4008,
  slowConsumer: 4009,
} as const;

/** The stream's error codes: the WebSocket side of the one vocabulary (error-codes.ts). */
export const StreamErrorCode = z.enum(STREAM_ERROR_CODES);
export type StreamErrorCode = z.infer<typeof StreamErrorCode>;

/** Subscription set: symbol → channels. */
export const Subscriptions = z.record(SymbolCode, z.array(Channel));
export type Subscriptions = z.infer<typeof Subscriptions>;

const Ohlcv = OhlcvRowSchema;

export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  connectionId: z.string(),
  heartbeat: z.object({ ping: z.string(), pong: z.string(), intervalMs: z.number().int() }),
  limits: z.object({
    maxFrameBytes: z.number().int(),
    maxSymbols: z.number().int(),
    framesPerSecond: z.number(),
    ackEvery: z.number().int(),
    ackBytes: z.number().int(),
  }),
});
export const SubscriptionsFrame = z.object({
  type: z.literal('subscriptions'),
  op: z.enum(['subscribe', 'unsubscribe', 'resume']),
  id: z.string().optional(),
  subscriptions: Subscriptions,
});
export const SnapshotFrame = z.object({
  type: z.literal('snapshot'),
  symbol: SymbolCode,
  /** The room's seq at the snapshot: data messages that follow have larger seqs. */
  seq: z.number().int().min(0),
  st: z.number().int(),
  /** True when sent in answer to a resume whose gap was too old to replay. */
  reset: z.boolean(),
  channels: z.array(Channel),
  quote: z
    .object({
      last: z.number().nullable(),
      lastSize: z.number().nullable(),
      bid: z.number().nullable(),
      bidSize: z.number().nullable(),
      ask: z.number().nullable(),
      askSize: z.number().nullable(),
      ts: z.number().int(),
      dayOpen: z.number().nullable(),
      dayHigh: z.number().nullable(),
      dayLow: z.number().nullable(),
      dayVolume: z.number().nullable(),
      prevClose: z.number().nullable(),
    })
    .nullable(),
  /** Closed 1-minute bars, oldest first. */
  bars: z.array(Ohlcv),
  /** The forming 1-minute bar (not final), if any. */
  forming: Ohlcv.nullable(),
});
/** A conflated message replaces everything skipped before it on its symbol and channel. */
export const StreamMessage = z.discriminatedUnion('type', [
  TradeMessage.extend({ conflated: z.literal(true).optional() }),
  QuoteMessage.extend({ conflated: z.literal(true).optional() }),
  BarMessage.extend({ conflated: z.literal(true).optional() }),
]);
export type StreamMessage = z.infer<typeof StreamMessage>;
export const DataFrame = z.object({
  type: z.literal('data'),
  /** In seq order per symbol. */
  messages: z.array(StreamMessage),
  /** True when the gateway dropped older messages for this socket because it fell behind. */
  conflated: z.literal(true).optional(),
});
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: StreamErrorCode,
  message: z.string(),
  id: z.string().optional(),
  symbols: z.array(z.string()).optional(),
});
/** The runtime's answer to a heartbeat `ping`. */
export const PongFrame = z.object({ type: z.literal('pong') });
export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  SubscriptionsFrame,
  SnapshotFrame,
  DataFrame,
  ErrorFrame,
  PongFrame,
]);
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type SubscriptionsFrame = z.infer<typeof SubscriptionsFrame>;
export type SnapshotFrame = z.infer<typeof SnapshotFrame>;
export type DataFrame = z.infer<typeof DataFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type ServerFrame = z.infer<typeof ServerFrame>;

/** A sequenced message as rooms hand it to gateways: serialised once, sent to many sockets. */
export interface WireMessage {
  seq: number;
  ch: Channel;
  /** Server time the room sequenced it (the message's `st`), for delivery-latency metrics. */
  st: number;
  json: string;
}

export function toWire(m: MarketMessage): WireMessage {
  return { seq: m.seq, ch: channelOf(m), st: m.st, json: JSON.stringify(m) };
}

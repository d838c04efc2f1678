import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { hasScope, principalById, RateLimitTier } from '../../platform/auth/api-keys';
import { config } from '../../platform/config';
import { ApiError, isDependencyFailure, toErrorBody, zodIssues } from '../../platform/errors';
import { frameTooBig } from '../../platform/frame-size';
import { createLogger } from '../../platform/logger';
import { KEY_REQUEST_LIMITS, KEY_REQUEST_WINDOW_SECONDS } from '../../platform/rate-limits';
import { reportBackgroundError } from '../../platform/sentry';
import { newTrace } from '../../platform/trace';
import { PUBLISH_LIMITS, PublishFrame } from '../../schema/contracts/ingest';
import { CloseCode, STREAM_LIMITS } from '../../schema/contracts/stream';
import {
  type CheckedTicks,
  checkTicks,
  roomFor,
  type SymbolRoom,
  sequenceTicks,
} from '../symbol-room/client';
import { PublishBudget } from './publish-budget';

/** Headers the Worker sets on the upgrade it forwards (after authenticating the key). */
export const INGEST_HEADERS = { keyId: 'x-skippy-key-id', tier: 'x-skippy-key-tier' } as const;

/** A socket's frames: validated, waiting for their turn (in arrival order), and handed to rooms but not yet answered. */
interface SocketQueue {
  running: boolean;
  frames: QueuedFrame[];
  applying: number;
}

/**
 * A frame waiting for its turn, its check (rate limit, symbols) already started when it arrived:
 * checks overlap, so a check that waits on I/O (the rate limiter is a subrequest) holds the
 * frames behind it for one round trip, not one round trip each.
 */
interface QueuedFrame {
  frame: PublishFrame;
  checked: Promise<CheckedTicks>;
}

/** While D1 cannot answer the key re-check, publishing goes on this long after the last good one. */
const KEY_FALLBACK_MS = 10 * 60_000;
/**
 * How often an alarm looks the key up again while sockets are open (one D1 read per object, i.e.
 * per key, whatever the traffic), so a revoked key's idle publisher closes within 5 s too.
 */
export const PUBLISHER_KEY_RECHECK_MS = PUBLISH_LIMITS.recheckKeyMs;

const Attachment = z.object({
  connId: z.string(),
  keyId: z.string(),
  tier: RateLimitTier,
  /** Last time the key was found valid. */
  checkedAt: z.number(),
  /** Frames that were not JSON or failed the schema; past `STREAM_LIMITS.maxBadFrames` the socket closes (4002). */
  bad: z.number().int().min(0).default(0),
  /** Set when this object closed the socket: frames still buffered are dropped unread. */
  closing: z.boolean().optional(),
});
type Attachment = z.infer<typeof Attachment>;

/**
 * Publisher sockets of one API key (`idFromName('key:<id>')`): a feed relay keeps a
 * WebSocket open and sends tick batches over it, skipping per-batch HTTP, header parsing and
 * key lookup. Each frame is validated, rate-limited and sequenced exactly like
 * `POST /api/v1/ingest/ticks` (same service) and answered once by id. Frames of one socket are
 * checked one at a time and handed to their rooms in the order sent, without waiting for the
 * previous frame's answer: calls on one room stub arrive in the order made, so each symbol's
 * ticks are sequenced in the relay's order while a busy room never holds the socket's other
 * frames back to one per round trip. The key is looked up again every few seconds so revoking it
 * stops a publisher that is already connected. Hibernation API: an idle relay costs nothing.
 */
export class IngestSession extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
  }

  /** Per socket: validated frames waiting for their turn, in arrival order. */
  readonly #queues = new Map<WebSocket, SocketQueue>();
  /** One stub per room for every socket of this key: E-order holds per stub, not across stubs. */
  readonly #rooms = new Map<string, DurableObjectStub<SymbolRoom>>();
  /** Sockets this object closed (bad frames, revoked key): their buffered frames are dropped unread. */
  readonly #closed = new WeakSet<WebSocket>();
  /** Attachments as last written, so a frame costs no parse of its socket's attachment. */
  readonly #metas = new WeakMap<WebSocket, Attachment>();
  /** The key's frame budget (publish-budget.ts); replaced when a key re-check finds a new tier. */
  #budget: PublishBudget | null = null;
  /** Whether the key re-check alarm is known to be scheduled (lost on eviction, then read once). */
  #alarmArmed = false;
  readonly #log = createLogger({ component: 'ingest-session' });

  override async fetch(request: Request): Promise<Response> {
    const keyId = request.headers.get(INGEST_HEADERS.keyId);
    const tier = RateLimitTier.safeParse(request.headers.get(INGEST_HEADERS.tier));
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !keyId || !tier.success)
      return new Response('expected an authenticated WebSocket upgrade', { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const meta: Attachment = {
      connId: crypto.randomUUID(),
      keyId,
      tier: tier.data,
      checkedAt: Date.now(),
      bad: 0,
    };
    this.#attach(server, meta);
    server.send(JSON.stringify({ type: 'welcome', connectionId: meta.connId, limits: PUBLISH_LIMITS }));
    await this.#armAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // First thing: a socket closed here has nothing more to say (its buffered frames go unread).
    if (this.#closed.has(ws)) return;
    const meta = this.#meta(ws);
    if (meta.closing) {
      this.#closed.add(ws);
      return;
    }
    // A frame too big to read gets no answer by id, so the socket closes: the relay then knows every
    // frame it has not seen answered is in doubt, and resends them (ticks are idempotent by sourceId).
    if (frameTooBig(message, PUBLISH_LIMITS.maxFrameBytes)) {
      this.#close(
        ws,
        CloseCode.messageTooBig,
        `Frames are limited to ${PUBLISH_LIMITS.maxFrameBytes} bytes.`,
      );
      return;
    }
    const traceId = newTrace().traceId;
    let raw: unknown;
    try {
      raw = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
    } catch {
      this.#bad(ws, meta, undefined, new ApiError('invalid_json', 'The frame is not valid JSON.'), traceId);
      return;
    }
    const id = idOf(raw);
    const frame = PublishFrame.safeParse(raw);
    if (!frame.success) {
      this.#bad(
        ws,
        meta,
        id,
        new ApiError('validation_failed', 'Invalid frame: expected {"type":"ticks","id":…,"ticks":[…]}.', {
          details: zodIssues(frame.error.issues),
        }),
        traceId,
      );
      return;
    }
    let q = this.#queues.get(ws);
    if (!q) {
      q = { running: false, frames: [], applying: 0 };
      this.#queues.set(ws, q);
    }
    if (q.frames.length + q.applying + (q.running ? 1 : 0) >= PUBLISH_LIMITS.maxInFlight) {
      this.#reject(
        ws,
        id,
        new ApiError(
          'rate_limited',
          `More than ${PUBLISH_LIMITS.maxInFlight} frames unanswered on this socket; wait for acks, then resend.`,
        ),
        traceId,
      );
      return;
    }
    const checked = this.#check(meta, frame.data);
    checked.catch(() => {}); // awaited in turn by #drain; this only keeps it from counting as unhandled
    q.frames.push({ frame: frame.data, checked });
    if (!q.running) await this.#drain(ws, q);
  }

  /**
   * Every `PUBLISHER_KEY_RECHECK_MS` while sockets are open: the key is looked up once and, if it
   * was revoked, every socket of it is refused and closed with 4001. No alarm without sockets.
   */
  override async alarm(): Promise<void> {
    const sockets = this.ctx.getWebSockets().filter((ws) => !this.#closed.has(ws) && !this.#meta(ws).closing);
    if (sockets.length === 0) {
      this.#alarmArmed = false;
      return;
    }
    this.#alarmArmed = true;
    try {
      await this.#recheckKey(sockets);
    } catch (err) {
      this.#log.error('publisher key re-check failed', {
        error: err instanceof Error ? err.message : String(err),
      });
      reportBackgroundError(this.env, err, {
        component: 'ingest-session',
        name: 'alarm',
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
    } finally {
      await this.ctx.storage.setAlarm(Date.now() + PUBLISHER_KEY_RECHECK_MS);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#queues.delete(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#queues.delete(ws);
  }

  /**
   * Checks a socket's frames one at a time, in arrival order, and hands each to its rooms as soon
   * as it passes; answers come as rooms finish (by id, so possibly out of order across symbols).
   */
  async #drain(ws: WebSocket, q: SocketQueue): Promise<void> {
    q.running = true;
    try {
      // A revoked key empties the queue (`#refuse`): what is left is never applied.
      for (let f = q.frames.shift(); f; f = q.frames.shift()) {
        const frame = f.frame;
        const traceId = newTrace().traceId;
        try {
          const checked = await f.checked;
          q.applying++;
          const used = new Map<string, DurableObjectStub<SymbolRoom>>();
          sequenceTicks(
            checked,
            (s) => {
              const stub = this.#room(s);
              used.set(s, stub);
              return stub;
            },
            traceId,
            // A stub that threw stays broken: the next frame for that room gets a fresh one.
            (s) => {
              if (this.#rooms.get(s) === used.get(s)) this.#rooms.delete(s);
            },
          )
            .then(
              (result) => send(ws, { type: 'ack', id: frame.id, ...result }),
              (err: unknown) => this.#reject(ws, frame.id, err, traceId),
            )
            .finally(() => {
              q.applying--;
              this.#forget(ws, q);
            });
        } catch (err) {
          this.#reject(ws, frame.id, err, traceId);
        }
      }
    } finally {
      q.running = false;
      this.#forget(ws, q);
    }
  }

  #forget(ws: WebSocket, q: SocketQueue): void {
    if (!q.running && q.applying === 0 && q.frames.length === 0 && this.#queues.get(ws) === q)
      this.#queues.delete(ws);
  }

  /**
   * The key's frame budget, then the symbol check, as the HTTP route applies it. Neither waits
   * on I/O once a symbol is known (the catalogue answers from isolate memory), so a frame
   * usually reaches its room in the event it arrived in.
   */
  async #check(meta: Attachment, f: PublishFrame): Promise<CheckedTicks> {
    if (this.#budget?.tier !== meta.tier) this.#budget = new PublishBudget(meta.tier);
    const retryAfter = this.#budget.take(Date.now());
    if (retryAfter !== null)
      throw new ApiError('rate_limited', 'Rate limit exceeded for this API key; resend after a pause.', {
        details: {
          limit: KEY_REQUEST_LIMITS[meta.tier],
          windowSeconds: KEY_REQUEST_WINDOW_SECONDS,
          retryAfter,
        },
      });
    return checkTicks(this.env, (p) => this.ctx.waitUntil(p), f.ticks);
  }

  #meta(ws: WebSocket): Attachment {
    let meta = this.#metas.get(ws);
    if (!meta) {
      meta = Attachment.parse(ws.deserializeAttachment());
      this.#metas.set(ws, meta);
    }
    return meta;
  }

  #attach(ws: WebSocket, meta: Attachment): void {
    ws.serializeAttachment(meta);
    this.#metas.set(ws, meta);
  }

  #room(symbol: string): DurableObjectStub<SymbolRoom> {
    let stub = this.#rooms.get(symbol);
    if (!stub) {
      stub = roomFor(this.env, symbol);
      this.#rooms.set(symbol, stub);
    }
    return stub;
  }

  /** Schedules the key re-check unless one is pending: a storage read only after a wake-up. */
  async #armAlarm(): Promise<void> {
    if (this.#alarmArmed) return;
    this.#alarmArmed = true;
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + PUBLISHER_KEY_RECHECK_MS);
  }

  /**
   * Looks the key (one per object) up again, beside the frames rather than in front of them: a D1
   * read on the path of every frame would put its latency into the feed's. A revoked key closes
   * every socket with 4001; frames still queued are refused with it. While D1 cannot answer,
   * publishing goes on for `KEY_FALLBACK_MS` after the last good check.
   */
  async #recheckKey(sockets: WebSocket[]): Promise<void> {
    const keyId = this.#meta(sockets[0]!).keyId;
    let principal: Awaited<ReturnType<typeof principalById>>;
    try {
      principal = await principalById(this.env, keyId);
    } catch (err) {
      if (!isDependencyFailure(err)) throw err;
      for (const ws of sockets) {
        if (Date.now() - this.#meta(ws).checkedAt > KEY_FALLBACK_MS)
          this.#refuse(ws, 'The API key could not be checked again; reconnect.');
      }
      return;
    }
    for (const ws of sockets) {
      if (!principal || !hasScope(principal, 'ingest')) this.#refuse(ws, 'The API key was revoked.');
      else
        try {
          this.#attach(ws, { ...this.#meta(ws), checkedAt: Date.now(), tier: principal.tier });
        } catch {
          // closed meanwhile
        }
    }
  }

  /** An invalid frame: answered like any other, and past the limit the socket is closed (4002). */
  #bad(ws: WebSocket, meta: Attachment, id: string | undefined, err: ApiError, traceId: string): void {
    this.#reject(ws, id, err, traceId);
    const bad = meta.bad + 1;
    if (bad > STREAM_LIMITS.maxBadFrames) {
      this.#close(ws, CloseCode.badMessage, 'Too many invalid frames; closing.');
      return;
    }
    try {
      this.#attach(ws, { ...meta, bad });
    } catch {
      // closed meanwhile
    }
  }

  /** Closes a socket from this side; frames it still delivers are dropped unread. */
  #close(ws: WebSocket, code: number, reason: string): void {
    this.#closed.add(ws);
    const q = this.#queues.get(ws);
    if (q) q.frames.length = 0;
    try {
      this.#attach(ws, { ...this.#meta(ws), closing: true });
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** Stops a publisher: each queued frame answered 401 by id, then an unidentified 401 and close 4001. */
  #refuse(ws: WebSocket, message: string): void {
    if (this.#closed.has(ws)) return;
    const err = new ApiError('unauthorized', message);
    const traceId = newTrace().traceId;
    const q = this.#queues.get(ws);
    for (const f of q?.frames.splice(0) ?? []) this.#reject(ws, f.frame.id, err, traceId);
    this.#reject(ws, undefined, err, traceId);
    this.#close(ws, CloseCode.authFailed, 'auth_failed');
  }

  #reject(ws: WebSocket, id: string | undefined, err: unknown, traceId: string): void {
    const apiErr =
      err instanceof ApiError ? err : new ApiError('internal', 'The frame could not be applied; resend it.');
    if (!(err instanceof ApiError))
      this.#log.error('publish frame failed', {
        traceId,
        error: err instanceof Error ? err.message : String(err),
      });
    send(ws, {
      type: 'error',
      ...(id === undefined ? {} : { id }),
      status: apiErr.status,
      ...toErrorBody(apiErr, traceId),
    });
  }
}

/** The frame's `id` when it has a usable one, so even an invalid frame is answered by id. */
function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
}

function send(ws: WebSocket, frame: object): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    // the socket closed meanwhile; the relay resends what it saw unanswered
  }
}

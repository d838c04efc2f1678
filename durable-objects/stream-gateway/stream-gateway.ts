import { DurableObject } from 'cloudflare:workers';
import { revokedKeyIds } from '../../platform/auth/revoked-keys';
import { config } from '../../platform/config';
import { ApiError, isDependencyFailure } from '../../platform/errors';
import { frameTooBig } from '../../platform/frame-size';
import { createLogger } from '../../platform/logger';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import {
  recordWsConnection,
  recordWsError,
  recordWsMessage,
  recordWsResume,
} from '../../platform/metrics/events';
import { flushSoon } from '../../platform/metrics/flush';
import { NextCall } from '../../platform/next-call';
import { reportBackgroundError } from '../../platform/sentry';
import type { WireMessage } from '../../schema/contracts/stream';
import {
  type Channel,
  ClientFrame,
  CloseCode,
  HEARTBEAT,
  type ResumeFrame,
  STREAM_LIMITS,
  type StreamErrorCode,
  type SubscribeFrame,
  type UnsubscribeFrame,
  UrlRequests,
} from '../../schema/contracts/stream';
import { STREAM_CONNECTS_PER_MINUTE } from '../key-sockets/client';
import { type RoomSnapshot, roomFor } from '../symbol-room/client';
import { Admission, GATEWAY_HEADERS, type Refusal } from './admission';
import { ConnAttachment, Connection, FLOW, inMask, maskOf } from './connection';
import { Delivery } from './delivery';
import {
  dataFrame,
  errorFrame,
  errorFrameFor,
  snapshotFrame,
  subscriptionsFrame,
  welcomeFrame,
} from './frames';
import { SlotReleases } from './slot-releases';
import { buildSnapshot } from './snapshot';
import { SubscriptionStore } from './subscription-store';

const REPLAY_CHUNK = 500;
const ACK_PREFIX = '{"type":"ack"';
/**
 * An ack exactly as the shipped client writes it. A socket sends one every few data frames, so at
 * 1,000 subscribers acks are most of the gateway's inbound traffic: this form skips JSON.parse and
 * zod. Anything else that starts like an ack still goes through the full validation.
 */
const ACK_EXACT = /^\{"type":"ack","frames":([1-9]\d{0,5})\}$/;
const HEARTBEAT_INTERVAL_MS = 30_000;
/**
 * How often the gateway checks that the keys of its open sockets are still valid (one D1 query
 * for all of them), so a revoked key's sockets close within 5 s. No alarm runs without sockets.
 */
export const KEY_RECHECK_MS = 3_000;

/**
 * A fan-out shard. The Worker hands it authenticated WebSockets; it accepts them with the
 * Hibernation API, tracks each socket's subscriptions, registers with the room of every symbol it
 * needs, and fans each batch a room pushes (once per gateway) out to its sockets, one frame per
 * socket per batch. Sockets of one hot symbol spread over many gateways.
 */
export class StreamGateway extends DurableObject<Env> {
  readonly #conns = new Map<WebSocket, Connection>();
  /** Live delivery of the rooms' batches to the sockets (delivery.ts). */
  readonly #delivery: Delivery;
  readonly #subs: SubscriptionStore;
  /**
   * Sockets this gateway closed or stopped tracking. Their frames still buffered in the runtime
   * are dropped unread: rebuilding state for them would hand them a fresh budget.
   */
  readonly #gone = new WeakSet<WebSocket>();
  #indexed = false;
  #name = '';
  /** Whether the key re-check alarm is known to be scheduled (lost on eviction, then read once). */
  #alarmArmed = false;
  /** Upgrades past the capacity check still waiting for their key's slot (they count as sockets). */
  #accepting = 0;
  /** Slots of closed sockets, given back to their keys in batches (slot-releases.ts). */
  readonly #releases: SlotReleases;
  /** Authentication and slots of upgrades, batched per key (admission.ts). */
  readonly #admission: Admission;
  /**
   * The room's snapshot per symbol, one call shared by the subscribes that arrive while one is in
   * flight: each is answered from a call started after it subscribed, so its live messages are
   * already held (`conn.syncing`) from the snapshot's seq on, and a storm of N subscribers of a
   * symbol costs the room a few calls (each an event on its thread), not N.
   */
  readonly #roomSnapshots = new NextCall<RoomSnapshot>();
  /**
   * Client frames received and not yet counted in the metrics. Acks (most of the inbound traffic)
   * are counted once per fan-out instead of once each: every count is a metrics observation, and
   * past 500 of them the isolate ships a batch early. Other frames are counted at once.
   */
  #inbound = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
    // Named by the client module (`gateway-<n>`); the runtime hands the name back here.
    this.#name = ctx.id.name ?? '';
    this.#subs = new SubscriptionStore(ctx.storage.sql);
    this.#admission = new Admission(
      env,
      () => this.#name,
      (p) => ctx.waitUntil(p),
    );
    this.#releases = new SlotReleases(
      env,
      (p) => ctx.waitUntil(p),
      (message, fields) => this.#log.warn(message, fields),
    );
    this.#delivery = new Delivery({
      send: (conn, frame, record) => this.#send(conn, frame, record),
      closeSlow: (conn) =>
        this.#close(
          conn,
          CloseCode.slowConsumer,
          'slow_consumer',
          'The socket fell too far behind; reconnect and resume.',
        ),
      replay: (symbol, after) => roomFor(this.env, symbol).replay(symbol, after),
      warn: (message, fields) => this.#log.warn(message, fields),
    });
    // Answered by the runtime without waking the object: heartbeats cost nothing while idle.
    // https://developers.cloudflare.com/durable-objects/api/state/#setwebsocketautoresponse
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT.ping, HEARTBEAT.pong));
  }

  get #log() {
    return createLogger({ gateway: this.#name });
  }

  /**
   * Accepts an upgrade the Worker has authenticated, unless this shard is full (503 with
   * `x-stream-full`: the Worker tries the next shard) or the key already holds its limit of
   * sockets across all shards (429 with the key's open sockets and limit, answered by the Worker
   * before any upgrade). The slot is taken before the socket is accepted.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response('Expected a WebSocket upgrade.', { status: 426 });
    this.#index();
    const capacity = config(this.env).STREAM_SOCKETS_PER_GATEWAY;
    // Live sockets this object tracks, plus upgrades waiting for their slot: a storm of upgrades
    // interleaves at that await and must not overfill the shard. (`#conns` instead of
    // `getWebSockets()`, which builds an array of every socket on every upgrade.)
    if (this.#conns.size + this.#accepting >= capacity)
      return new Response(null, { status: 503, headers: { [GATEWAY_HEADERS.full]: '1' } });
    const connId = crypto.randomUUID();
    const requests = request.headers.get(GATEWAY_HEADERS.requests);
    // Counted from here: a storm of upgrades interleaves at the awaits below.
    this.#accepting++;
    let keyId: string;
    try {
      const who = await this.#admission.identify(request.headers);
      if ('refusal' in who)
        return refusal(who.refusal, who.scopes ? { [GATEWAY_HEADERS.scopes]: who.scopes.join(',') } : {});
      keyId = who.keyId;
      const { ok, grant } = await this.#admission.slot(keyId, who.tier, connId);
      if (!ok)
        return refusal(grant.refused ?? 'open_sockets', {
          [GATEWAY_HEADERS.open]: String(grant.open),
          [GATEWAY_HEADERS.limit]: String(
            grant.refused === 'connect_rate' ? STREAM_CONNECTS_PER_MINUTE[who.tier] : grant.limit,
          ),
          ...(grant.retryAfter ? { [GATEWAY_HEADERS.retryAfter]: String(grant.retryAfter) } : {}),
        });
    } catch (err) {
      // A dependency (the key's KeySockets object) could not answer: retryable. Anything else is a bug.
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (isDependencyFailure(err)) this.#log.warn('upgrade admission unavailable', { error });
      else {
        this.#log.error('upgrade admission failed', { error });
        reportBackgroundError(this.env, err, {
          component: 'stream-gateway',
          name: 'fetch',
          waitUntil: (p) => this.ctx.waitUntil(p),
        });
      }
      return new Response(null, { status: 503 });
    } finally {
      this.#accepting--;
    }
    const pair = new WebSocketPair();
    const server = pair[1];
    const meta: ConnAttachment = { id: connId, keyId, gateway: this.#name };
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(meta);
    const conn = new Connection(server, meta);
    this.#conns.set(server, conn);
    await this.#armAlarm();
    recordWsConnection('open');
    recordWsMessage('out');
    this.#flush();
    server.send(
      welcomeFrame({
        connectionId: meta.id,
        heartbeat: { ping: HEARTBEAT.ping, pong: HEARTBEAT.pong, intervalMs: HEARTBEAT_INTERVAL_MS },
        limits: {
          maxFrameBytes: STREAM_LIMITS.maxFrameBytes,
          maxSymbols: STREAM_LIMITS.maxSymbols,
          framesPerSecond: STREAM_LIMITS.framesPerSecond,
          ackEvery: STREAM_LIMITS.ackEvery,
          ackBytes: STREAM_LIMITS.ackBytes,
        },
      }),
    );
    // Answered after the welcome; frames sent before the 101 reaches the client wait in the socket.
    if (requests)
      this.ctx.waitUntil(this.#answer(conn, 'urlRequests', () => this.#urlRequests(conn, requests)));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /**
   * RPC from a room: one batch of sequenced messages for `symbol`. Returns false when no socket
   * here wants the symbol any more, so the room forgets this gateway.
   */
  async deliver(name: string, symbol: string, batch: WireMessage[]): Promise<boolean> {
    if (!this.#name) this.#name = name;
    this.#index();
    const wanted = this.#delivery.deliver(symbol, batch, () => this.#flush());
    this.#countInbound();
    this.#flush();
    return wanted;
  }

  /** Which of `connIds` this gateway still holds open (the key-sockets object reconciling its slots). */
  async holds(connIds: string[]): Promise<string[]> {
    this.#index();
    const live = new Set<string>();
    for (const conn of this.#conns.values()) live.add(conn.meta.id);
    return connIds.filter((id) => live.has(id));
  }

  /** Sockets and symbols held (admin diagnostics). */
  async stats(): Promise<{ name: string; sockets: number; symbols: number }> {
    this.#index();
    return {
      name: this.#name,
      sockets: this.ctx.getWebSockets().length,
      symbols: this.#delivery.bySymbol.size,
    };
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // First thing, before any parsing: a socket closed here has nothing more to say.
    if (this.#gone.has(ws)) return;
    const conn = this.#conn(ws);
    if (!conn) return;
    this.#inbound++;
    await this.#answer(conn, 'webSocketMessage', () => this.#onMessage(conn, message));
  }

  /** Runs one client request; a failure is answered on the socket (and reported when it is a bug). */
  async #answer(conn: Connection, name: string, handle: () => Promise<void>): Promise<void> {
    try {
      await handle();
    } catch (err) {
      const answer = errorFrameFor(err);
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (answer.bug) {
        this.#log.error('frame handling failed', { conn: conn.meta.id, error });
        reportBackgroundError(this.env, err, {
          component: 'stream-gateway',
          name,
          waitUntil: (p) => this.ctx.waitUntil(p),
        });
      } else this.#log.warn('frame answered with an error', { conn: conn.meta.id, error });
      recordWsError(answer.code);
      this.#send(conn, answer.frame);
    } finally {
      this.#flush();
    }
  }

  /**
   * The subscribe and resume the client put in its upgrade URL (validated by the Worker against
   * the frames' contracts), handled as if they were the socket's first frames, with the same
   * budgets: in a (re)connect storm this spares every socket a message event.
   */
  async #urlRequests(conn: Connection, raw: string): Promise<void> {
    const parsed = UrlRequests.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`The Worker passed invalid URL requests: ${parsed.error.message}`);
    const now = Date.now();
    conn.bytes.take(now, raw.length);
    conn.frames.take(now, parsed.data.length);
    this.#inbound += parsed.data.length;
    this.#persist(conn);
    await Promise.all(
      parsed.data.map((f) => (f.type === 'subscribe' ? this.#onSubscribe(conn, f) : this.#onResume(conn, f))),
    );
  }

  /**
   * Every `KEY_RECHECK_MS` while sockets are open: one D1 query for the distinct keys of all of
   * them, and the sockets of revoked keys are closed with 4001. Nothing per message; nothing idle.
   */
  override async alarm(): Promise<void> {
    this.#countInbound();
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) {
      this.#alarmArmed = false;
      return;
    }
    this.#alarmArmed = true;
    try {
      await this.#closeRevoked(sockets);
    } catch (err) {
      this.#log.error('key re-check failed', { error: err instanceof Error ? err.message : String(err) });
      reportBackgroundError(this.env, err, {
        component: 'stream-gateway',
        name: 'alarm',
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
    } finally {
      if (this.ctx.getWebSockets().length > 0) await this.ctx.storage.setAlarm(Date.now() + KEY_RECHECK_MS);
      else this.#alarmArmed = false;
      this.#flush();
    }
  }

  async #closeRevoked(sockets: WebSocket[]): Promise<void> {
    const byKey = new Map<string, WebSocket[]>();
    for (const ws of sockets) {
      if (this.#gone.has(ws)) continue;
      // The tracked connection's copy first: parsing every attachment every 3 s is per-socket work.
      const meta = this.#conns.get(ws)?.meta ?? this.#meta(ws);
      if (!meta || meta.closing || !meta.keyId) continue;
      const list = byKey.get(meta.keyId);
      if (list) list.push(ws);
      else byKey.set(meta.keyId, [ws]);
    }
    if (byKey.size === 0) return;
    let revoked: Set<string>;
    try {
      revoked = await revokedKeyIds(this.env, [...byKey.keys()]);
    } catch (err) {
      // A bug surfaces (the alarm reports it); an outage leaves the sockets open until the next alarm.
      if (!isDependencyFailure(err)) throw err;
      // D1 down or its breaker open: the sockets stay open and the next alarm asks again.
      this.#log.warn('key re-check unavailable', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    for (const keyId of revoked) {
      for (const ws of byKey.get(keyId) ?? []) {
        const conn = this.#conn(ws);
        if (conn) this.#close(conn, CloseCode.authFailed, 'auth_failed', 'The API key was revoked.');
      }
    }
  }

  /** Schedules the key re-check unless one is pending: a storage read only after a wake-up. */
  async #armAlarm(): Promise<void> {
    if (this.#alarmArmed) return;
    this.#alarmArmed = true;
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + KEY_RECHECK_MS);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#drop(ws);
    this.#flush();
    try {
      // Complete the close handshake (a no-op when the runtime already answered it).
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#drop(ws);
    this.#flush();
  }

  /** Records the client frames counted since the last call (see `#inbound`). */
  #countInbound(): void {
    if (this.#inbound === 0) return;
    recordWsMessage('in', this.#inbound);
    this.#inbound = 0;
  }

  /** Ships this isolate's stream metrics (a no-op until a flush is due). */
  #flush(): void {
    flushSoon(this.env, (p) => this.ctx.waitUntil(p));
  }

  async #onMessage(conn: Connection, message: string | ArrayBuffer): Promise<void> {
    if (frameTooBig(message, STREAM_LIMITS.maxFrameBytes)) {
      this.#close(
        conn,
        CloseCode.messageTooBig,
        'message_too_big',
        `Frames are limited to ${STREAM_LIMITS.maxFrameBytes} bytes.`,
      );
      return;
    }
    // Acks are flow control a healthy client sends about once per data frame it gets: they must not
    // eat the budget for real requests (a fast stream would otherwise rate-limit its own acks).
    const ackLike = typeof message === 'string' && message.startsWith(ACK_PREFIX);
    const now = Date.now();
    const size = typeof message === 'string' ? message.length : message.byteLength;
    // Both budgets are charged before either verdict, so dropped frames count against bytes too.
    const bytesOk = conn.bytes.take(now, size);
    if (!conn.frames.take(now, ackLike ? STREAM_LIMITS.ackCost : 1) || !bytesOk) {
      this.#dropFrame(
        conn,
        `At most ${STREAM_LIMITS.framesPerSecond} frames/s (burst ${STREAM_LIMITS.frameBurst}) and ${STREAM_LIMITS.bytesPerSecond} bytes/s; frames are being dropped.`,
      );
      return;
    }
    const ack = ackLike && typeof message === 'string' ? ACK_EXACT.exec(message) : null;
    if (ack) return this.#delivery.acked(conn, Number(ack[1]));
    this.#countInbound();
    // Anything but a plain ack may change a budget: keep the attachment's copy current.
    this.#persist(conn);
    if (typeof message !== 'string')
      return this.#bad(conn, 'bad_message', 'Binary frames are not supported; send JSON text.');
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      return this.#bad(conn, 'bad_message', 'The frame is not valid JSON.');
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      const type = typeof json === 'object' && json !== null && 'type' in json ? json.type : undefined;
      const known = ['subscribe', 'unsubscribe', 'resume', 'ack'];
      if (typeof type !== 'string' || !known.includes(type)) {
        return this.#bad(conn, 'unknown_type', `Unknown frame type; expected one of ${known.join(', ')}.`);
      }
      const issue = parsed.error.issues[0];
      return this.#bad(
        conn,
        'bad_message',
        `Invalid ${type} frame${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}.`,
      );
    }
    const frame = parsed.data;
    switch (frame.type) {
      case 'ack':
        return this.#delivery.acked(conn, frame.frames);
      case 'subscribe':
        return this.#onSubscribe(conn, frame);
      case 'unsubscribe':
        return this.#onUnsubscribe(conn, frame);
      case 'resume':
        return this.#onResume(conn, frame);
    }
  }

  #bad(conn: Connection, code: StreamErrorCode, message: string): void {
    conn.badFrames++;
    this.#persist(conn);
    if (conn.badFrames > FLOW.maxBadFrames)
      this.#close(conn, CloseCode.badMessage, code, 'Too many invalid frames; closing.');
    else this.#error(conn, code, message);
  }

  /** A frame over budget: dropped unread, told now and then, closed with 4008 past the limit. */
  #dropFrame(conn: Connection, message: string, request?: { id: string | undefined }): void {
    conn.floodDrops++;
    this.#persist(conn);
    if (conn.floodDrops > FLOW.maxFloodDrops)
      this.#close(conn, CloseCode.rateLimited, 'rate_limited', 'Too many frames; closing.');
    // A refused request is always answered (by id); dropped frames only now and then.
    else if (request || conn.floodDrops === 1 || conn.floodDrops % 10 === 0)
      this.#error(conn, 'rate_limited', message, request?.id);
  }

  /** Writes the socket's budgets into its attachment, so they outlive a hibernation. */
  #persist(conn: Connection): void {
    try {
      conn.ws.serializeAttachment({ ...conn.meta, budget: conn.budget() } satisfies ConnAttachment);
    } catch {
      // the socket is closing; its budgets no longer matter
    }
  }

  /**
   * Validates symbols for a subscribe/resume: limit, then the socket's snapshot budget and
   * requests in flight, then catalogue. Returns the accepted ones.
   */
  async #admit(conn: Connection, symbols: string[], id: string | undefined): Promise<string[] | null> {
    const unique = [...new Set(symbols)];
    const added = unique.filter((s) => !conn.subs.has(s)).length;
    if (conn.subs.size + added > STREAM_LIMITS.maxSymbols) {
      this.#error(
        conn,
        'too_many_subscriptions',
        `A socket may subscribe to at most ${STREAM_LIMITS.maxSymbols} symbols.`,
        id,
      );
      return null;
    }
    // Each symbol costs a room read and a snapshot: a loop of subscribes must not turn into a loop
    // of reads. Refused requests count as dropped frames (4008 past the limit).
    if (conn.requests >= FLOW.maxRequestsInFlight) {
      this.#dropFrame(
        conn,
        `At most ${FLOW.maxRequestsInFlight} subscribe/resume requests at a time; wait for the answers.`,
        { id },
      );
      return null;
    }
    if (!conn.snapshots.take(Date.now(), unique.length)) {
      this.#dropFrame(
        conn,
        `At most ${STREAM_LIMITS.snapshotsPerSecond} symbol snapshots/s (burst ${STREAM_LIMITS.snapshotBurst}); request refused.`,
        { id },
      );
      return null;
    }
    // Released by the caller once the request is answered (`#answer`).
    conn.requests++;
    try {
      return await this.#known(conn, unique, id);
    } catch (err) {
      conn.requests--;
      throw err;
    }
  }

  /** The symbols of `unique` in the catalogue; unknown ones are answered with `unknown_symbol`. */
  async #known(conn: Connection, unique: string[], id: string | undefined): Promise<string[]> {
    const unknown: string[] = [];
    const ok: string[] = [];
    await Promise.all(
      unique.map(async (s) => {
        try {
          await requireKnownSymbol(this.env, (p) => this.ctx.waitUntil(p), s);
          ok.push(s);
        } catch (err) {
          if (!(err instanceof ApiError) || err.code !== 'unknown_symbol') throw err;
          unknown.push(s);
        }
      }),
    );
    if (unknown.length > 0)
      this.#error(conn, 'unknown_symbol', `Unknown symbols: ${unknown.join(', ')}.`, id, unknown);
    return unique.filter((s) => ok.includes(s));
  }

  /** Adds channels for symbols; returns the symbols this gateway newly needs from rooms. */
  #addSubs(conn: Connection, symbols: string[], channels: Channel[]): Set<string> {
    const mask = maskOf(channels);
    const fresh = new Set<string>();
    for (const s of symbols) {
      conn.subs.set(s, (conn.subs.get(s) ?? 0) | mask);
      this.#subs.set(conn.meta.id, s, conn.subs.get(s) ?? mask);
      conn.syncing.set(s, conn.syncing.get(s) ?? []);
      if (this.#delivery.add(conn, s)) fresh.add(s);
    }
    return fresh;
  }

  async #onSubscribe(conn: Connection, f: SubscribeFrame): Promise<void> {
    const symbols = await this.#admit(conn, f.symbols, f.id);
    if (!symbols) return;
    if (this.#gone.has(conn.ws)) {
      conn.requests--; // closed while the symbols were checked: nothing to attach
      return;
    }
    try {
      if (symbols.length > 0) await this.#subscribe(conn, f, symbols);
    } finally {
      conn.requests--;
    }
  }

  async #subscribe(conn: Connection, f: SubscribeFrame, symbols: string[]): Promise<void> {
    const fresh = this.#addSubs(conn, symbols, f.channels);
    this.#send(conn, subscriptionsFrame({ op: 'subscribe', id: f.id, subscriptions: conn.subscriptions() }));
    await Promise.all(
      symbols.map(async (symbol) => {
        try {
          const room = roomFor(this.env, symbol);
          const snap = fresh.has(symbol)
            ? await room.attach(symbol, this.#name)
            : await this.#roomSnapshot(symbol);
          if (fresh.has(symbol)) this.#delivery.startAt(symbol, snap.seq);
          const frame = await buildSnapshot(this.env, symbol, snap, {
            channels: f.channels,
            count: f.bars ?? STREAM_LIMITS.snapshotBars,
            reset: false,
          });
          this.#send(conn, snapshotFrame(frame));
          this.#delivery.synced(conn, symbol, snap.seq);
        } catch (err) {
          this.#delivery.synced(conn, symbol, 0);
          throw err;
        }
      }),
    );
  }

  async #onResume(conn: Connection, f: ResumeFrame): Promise<void> {
    const symbols = await this.#admit(conn, Object.keys(f.from), f.id);
    if (!symbols) return;
    if (this.#gone.has(conn.ws)) {
      conn.requests--;
      return;
    }
    try {
      if (symbols.length > 0) await this.#resume(conn, f, symbols);
    } finally {
      conn.requests--;
    }
  }

  async #resume(conn: Connection, f: ResumeFrame, symbols: string[]): Promise<void> {
    const fresh = this.#addSubs(conn, symbols, f.channels);
    this.#send(conn, subscriptionsFrame({ op: 'resume', id: f.id, subscriptions: conn.subscriptions() }));
    const mask = maskOf(f.channels);
    await Promise.all(
      symbols.map(async (symbol) => {
        const after = f.from[symbol] ?? 0;
        try {
          const room = roomFor(this.env, symbol);
          if (fresh.has(symbol)) {
            const snap = await room.attach(symbol, this.#name);
            this.#delivery.startAt(symbol, snap.seq);
          }
          const r = await room.replay(symbol, after);
          recordWsResume(r.kind === 'messages' ? 'replayed' : 'reset');
          if (r.kind === 'messages') {
            const wanted = r.messages.filter((m) => inMask(mask, m.ch));
            for (let i = 0; i < wanted.length; i += REPLAY_CHUNK) {
              const frame = dataFrame(wanted.slice(i, i + REPLAY_CHUNK));
              if (this.#send(conn, frame)) conn.sent(frame.length);
            }
            this.#delivery.synced(conn, symbol, Math.max(after, r.seq));
          } else {
            const snap = await this.#roomSnapshot(symbol);
            const frame = await buildSnapshot(this.env, symbol, snap, {
              channels: f.channels,
              count: STREAM_LIMITS.snapshotBars,
              reset: true,
            });
            this.#send(conn, snapshotFrame(frame));
            this.#delivery.synced(conn, symbol, snap.seq);
          }
        } catch (err) {
          this.#delivery.synced(conn, symbol, after);
          throw err;
        }
      }),
    );
  }

  async #onUnsubscribe(conn: Connection, f: UnsubscribeFrame): Promise<void> {
    const remove = maskOf(f.channels ?? ['trades', 'quotes', 'bars']);
    for (const s of new Set(f.symbols)) {
      const mask = conn.subs.get(s);
      if (mask === undefined) continue;
      const left = mask & ~remove;
      if (left === 0) this.#unsubscribe(conn, s);
      else {
        conn.subs.set(s, left);
        this.#subs.set(conn.meta.id, s, left);
      }
      for (const [key, m] of conn.pending)
        if (m.symbol === s && !inMask(left, m.ch)) conn.pending.delete(key);
    }
    this.#send(
      conn,
      subscriptionsFrame({ op: 'unsubscribe', id: f.id, subscriptions: conn.subscriptions() }),
    );
  }

  /** The room's snapshot of `symbol`, shared (see `#roomSnapshots`); a fresh stub per call, as a broken one stays broken. */
  #roomSnapshot(symbol: string): Promise<RoomSnapshot> {
    return this.#roomSnapshots.run(symbol, () => roomFor(this.env, symbol).snapshot(symbol));
  }

  /** `stored: false` when the caller deletes the socket's rows itself (all at once, `#drop`). */
  #unsubscribe(conn: Connection, symbol: string, stored = true): void {
    conn.subs.delete(symbol);
    conn.floor.delete(symbol);
    conn.syncing.delete(symbol);
    if (stored) this.#subs.remove(conn.meta.id, symbol);
    if (this.#delivery.remove(conn, symbol)) {
      roomFor(this.env, symbol)
        .detach(symbol, this.#name)
        .catch((err: unknown) => this.#log.warn('room detach failed', { symbol, error: String(err) }));
    }
  }

  #error(conn: Connection, code: StreamErrorCode, message: string, id?: string, symbols?: string[]): void {
    recordWsError(code); // a fixed enum: bad_message, rate_limited, slow_consumer, …
    this.#send(
      conn,
      errorFrame({ code, message, ...(id === undefined ? {} : { id }), ...(symbols ? { symbols } : {}) }),
    );
  }

  #close(conn: Connection, code: number, errorCode: StreamErrorCode, message: string): void {
    if (this.#gone.has(conn.ws)) return;
    this.#error(conn, errorCode, message);
    try {
      // Marked first: after a wake-up the attachment is all that says this socket is finished.
      conn.ws.serializeAttachment({ ...conn.meta, closing: true } satisfies ConnAttachment);
      conn.ws.close(code, errorCode);
    } catch {
      // already closing
    }
    this.#drop(conn.ws);
  }

  #send(conn: Connection, frame: string, record = true): boolean {
    try {
      conn.ws.send(frame);
      if (record) recordWsMessage('out');
      return true;
    } catch {
      recordWsError('send');
      this.#drop(conn.ws);
      return false;
    }
  }

  /** Rebuilds the in-memory index from live sockets and stored subscriptions after a wake-up. */
  #index(): void {
    if (this.#indexed) return;
    this.#indexed = true;
    const stored = this.#subs.all();
    const live = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.#conn(ws, stored.get(this.#meta(ws)?.id ?? ''));
      if (conn) live.add(conn.meta.id);
    }
    this.#subs.retain(live);
  }

  #meta(ws: WebSocket): ConnAttachment | null {
    const parsed = ConnAttachment.safeParse(ws.deserializeAttachment());
    return parsed.success ? parsed.data : null;
  }

  #conn(ws: WebSocket, subs?: Map<string, number>): Connection | undefined {
    const known = this.#conns.get(ws);
    if (known) return known;
    this.#index();
    const again = this.#conns.get(ws);
    if (again) return again;
    if (this.#gone.has(ws)) return undefined;
    const meta = this.#meta(ws);
    if (!meta || meta.closing) {
      this.#gone.add(ws);
      if (!meta) ws.close(CloseCode.serviceRestart, 'state lost');
      return undefined;
    }
    if (!this.#name) this.#name = meta.gateway;
    const conn = new Connection(ws, meta);
    this.#conns.set(ws, conn);
    for (const [symbol, mask] of subs ?? []) {
      conn.subs.set(symbol, mask);
      this.#delivery.add(conn, symbol);
    }
    return conn;
  }

  #drop(ws: WebSocket): void {
    this.#index(); // after a wake-up the socket is only known once the index is rebuilt
    // Never tracked again: a dropped socket's late frames must not rebuild it with a fresh budget.
    this.#gone.add(ws);
    const conn = this.#conns.get(ws);
    if (!conn) return;
    this.#conns.delete(ws);
    recordWsConnection('close');
    if (conn.meta.keyId) this.#releases.release(conn.meta.keyId, conn.meta.id);
    // One delete for the socket's rows: a reconnect storm drops as many sockets as it opens.
    for (const symbol of [...conn.subs.keys()]) this.#unsubscribe(conn, symbol, false);
    this.#subs.removeConn(conn.meta.id);
  }
}

/** A refused upgrade as the Worker reads it (status by reason, the reason in a header). */
function refusal(reason: Refusal, headers: Record<string, string> = {}): Response {
  const status = {
    unauthorized: 401,
    forbidden: 403,
    auth_unavailable: 503,
    connect_rate: 429,
    open_sockets: 429,
  }[reason];
  return new Response(null, { status, headers: { ...headers, [GATEWAY_HEADERS.refusal]: reason } });
}

import { DurableObject } from 'cloudflare:workers';
import type { OhlcvRow } from '../../engine/data/bars';
import { MinuteBarBuilder } from '../../engine/market/bar-builder';
import { barFromTrade, type TimedBar } from '../../engine/market/bar-merge';
import { checkTick, type TickRejection } from '../../engine/market/tick-bounds';
import { config } from '../../platform/config';
import { InFlightGuard, ROOM_SHED } from '../../platform/load-shed';
import { createLogger } from '../../platform/logger';
import { reportBackgroundError } from '../../platform/sentry';
import type { SymbolIngestResult, Tick, TradeTick } from '../../schema/contracts/ingest';
import { Quote } from '../../schema/contracts/market';
import type { MarketMessage } from '../../schema/contracts/stream';
import { toWire, type WireMessage } from '../../schema/contracts/stream';
import { flushBars } from './bar-sink';
import { GatewayRegistry } from './fan-out';
import { type IngestLimits, ingestLimits } from './ingest-bounds';
import { MarketState } from './market-state';
import { SeqRing } from './ring';
import { RoomStore, StoredBar, timedBar } from './room-store';
import { loadSessionBars } from './session-seed';

const FLUSH_DELAY_MS = 2_000;
const MAX_FLUSH_BATCH = 200;
const KEEP_MESSAGES = 50_000;
const SEEN_RETENTION_MS = 24 * 3_600_000;
/** Recent messages kept in memory for fast resume; older gaps are read from the SQLite log. */
const RING_SIZE = 2_048;
/** A resume that misses more than this gets a `reset` snapshot instead of a replay. */
const MAX_REPLAY = 10_000;
/**
 * The forming 1-minute bar goes out (as `final: false`) with the first trade after this interval,
 * so live candles move without a bar message per trade; no timer: a quiet minute sends nothing.
 */
const FORMING_UPDATE_MS = 1_000;
const MINUTE = 60_000;

/** A tick the room refused: its position in the list it was given. */
export interface RoomRejection extends TickRejection {
  index: number;
}

/** What `ingest` answers: the symbol's counts and each refused tick. */
export interface RoomIngestResult extends SymbolIngestResult {
  rejections: RoomRejection[];
}

/** What a gateway needs to build a snapshot frame. */
export interface RoomSnapshot {
  seq: number;
  st: number;
  quote: Quote | null;
  forming: OhlcvRow | null;
  /** Closed bars not yet flushed to D1 (oldest first). */
  unflushed: OhlcvRow[];
}

export type ReplayResult = { kind: 'messages'; messages: WireMessage[]; seq: number } | { kind: 'reset' };

/**
 * One room per symbol (`idFromName(symbol)`, symbol validated first). The room is the single
 * writer for its symbol: it assigns the per-symbol sequence, keeps the latest quote and the
 * forming 1-minute bar, logs messages for resume, and flushes closed bars to D1 in batches.
 */
export class SymbolRoom extends DurableObject<Env> {
  #store!: RoomStore;
  #symbol: string | null = null;
  #seq = 0;
  #state!: MarketState;
  /** Loads the session figures from stored daily bars before the first tick is sequenced (once). */
  #sessionSeed: Promise<void> | null = null;
  #bars!: MinuteBarBuilder;
  #ring = new SeqRing<WireMessage>(RING_SIZE);
  #gateways!: GatewayRegistry;
  /** Server time the last forming-bar update was sequenced (in memory: after a restart one goes out at once). */
  #formingSentAt = 0;
  /** Parsed once, on first use (the symbol picks its band). */
  #limits: IngestLimits | null = null;
  /**
   * When the alarm is set for, as this instance last set or read it (`undefined`: not read yet
   * since a wake-up). Spares every ingest a storage read of the alarm.
   */
  #alarmAt: number | null | undefined = undefined;
  /** Sheds ingests past ROOM_SHED in flight (OverloadedError) instead of queueing them behind a stall. */
  #shed = new InFlightGuard(ROOM_SHED);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    config(env); // a wrong variable fails the object loudly, naming it (platform/config.ts)
    // Initialise once before any call is delivered; a failure here must surface, not be half-applied.
    ctx.blockConcurrencyWhile(async () => {
      this.#store = new RoomStore(ctx.storage.sql);
      // The room is named by its symbol (client.ts); the runtime hands the name back in ctx.id.name.
      // The stored copy covers rooms created before names were available there.
      this.#symbol = ctx.id.name ?? this.#store.getMeta('symbol');
      this.#seq = Number(this.#store.getMeta('seq') ?? 0);
      const savedQuote = this.#store.getMeta('quote');
      const quote = savedQuote ? Quote.safeParse(JSON.parse(savedQuote)) : null;
      this.#state = new MarketState(
        this.#symbol ?? '',
        quote?.success ? quote.data : null,
        Number(this.#store.getMeta('lastTradeTs') ?? 0),
        Number(this.#store.getMeta('lastQuoteTs') ?? 0),
      );
      const forming = this.#store.getMeta('forming');
      const bar = forming ? StoredBar.nullable().safeParse(JSON.parse(forming)) : null;
      this.#bars = new MinuteBarBuilder(
        bar?.success && bar.data ? timedBar(bar.data) : null,
        Number(this.#store.getMeta('closedBefore') ?? 0),
      );
      this.#gateways = new GatewayRegistry(ctx.storage.sql, env);
    });
  }

  /** Binds the room to its symbol on first use and refuses a different one afterwards. */
  #bind(symbol: string): void {
    if (this.#symbol === symbol) return;
    if (this.#symbol !== null) throw new Error(`Room for ${this.#symbol} addressed as ${symbol}`);
    this.#symbol = symbol;
    this.#state.quote.symbol = symbol;
    this.#store.setMeta('symbol', symbol);
  }

  #limitsFor(symbol: string): IngestLimits {
    this.#limits ??= ingestLimits(this.env, symbol);
    return this.#limits;
  }

  get currentSeq(): number {
    return this.#seq;
  }

  /**
   * Sequences a batch of ticks for this symbol. Ticks whose `sourceId` was seen in the last
   * 24 hours are counted as duplicates and dropped, so a relay may safely resend a batch.
   * A tick outside the ingest bounds (time against this room's clock, price against its last
   * trade; docs/market-data.md) is refused and listed in `rejections`; the others are applied.
   * Everything is applied in one storage transaction: a batch is sequenced whole or not at all.
   */
  async ingest(symbol: string, ticks: Tick[], traceId?: string): Promise<RoomIngestResult> {
    return this.#shed.run(`room ${symbol}`, () => this.#ingest(symbol, ticks, traceId));
  }

  async #ingest(symbol: string, ticks: Tick[], traceId?: string): Promise<RoomIngestResult> {
    this.#bind(symbol);
    if (this.#state.quote.seq === 0) {
      // Every ingest arriving meanwhile awaits the same promise, so ticks stay in arrival order.
      this.#sessionSeed ??= loadSessionBars(this.env, symbol, Date.now()).then(({ previous, today }) =>
        this.#state.seedFromBars(previous, today),
      );
      await this.#sessionSeed;
    }
    const st = Date.now();
    const limits = this.#limitsFor(symbol);
    const out: MarketMessage[] = [];
    let duplicates = 0;
    const rejections: RoomRejection[] = [];
    let lastTradeTs: number | null = null;
    this.ctx.storage.transactionSync(() => {
      for (const [index, t] of ticks.entries()) {
        if (this.#store.wasSeen(t.sourceId)) {
          duplicates++;
          continue;
        }
        // Checked before the id is recorded: a refused tick may be corrected and resent as is.
        const refused = checkTick(t, { ...limits, now: st, reference: this.#state.quote.last });
        if (refused) {
          rejections.push({ index, ...refused });
          continue;
        }
        this.#store.markSeen(t.sourceId, st);
        if (t.type === 'trade') {
          const m: MarketMessage = {
            type: 'trade',
            symbol,
            seq: ++this.#seq,
            ts: t.ts,
            st,
            price: t.price,
            size: t.size,
          };
          out.push(m);
          this.#state.onTrade(m.seq, t.ts, t.price, t.size);
          const { closed, late } = this.#bars.onTrade(t.ts, t.price, t.size);
          if (late) out.push(this.#amendBar(symbol, t, st));
          else lastTradeTs = t.ts;
          if (closed) out.push(this.#closeBar(symbol, closed, st));
        } else {
          const m: MarketMessage = {
            type: 'quote',
            symbol,
            seq: ++this.#seq,
            ts: t.ts,
            st,
            bid: t.bid,
            bidSize: t.bidSize,
            ask: t.ask,
            askSize: t.askSize,
          };
          out.push(m);
          this.#state.onQuote(m.seq, t.ts, t.bid, t.bidSize, t.ask, t.askSize);
        }
      }
      const forming = this.#bars.forming;
      if (lastTradeTs !== null && forming && st - this.#formingSentAt >= FORMING_UPDATE_MS) {
        this.#formingSentAt = st;
        out.push(this.#barMessage(symbol, forming, lastTradeTs, st, false));
      }
      for (const m of out) this.#store.appendMessage(m);
      this.#persistState();
    });
    // This batch's last seq, read before yielding: batches delivered meanwhile move `#seq` on.
    const lastSeq = this.#seq;
    if (out.length > 0) {
      // Fan out first: the alarm bookkeeping is a storage round trip the subscribers need not wait for.
      this.onSequenced(out, traceId);
      await this.#scheduleAlarm();
    }
    if (rejections.length > 0) {
      createLogger({ room: symbol, traceId }).info('ticks refused by the ingest bounds', {
        refused: rejections.length,
        first: rejections[0],
      });
    }
    return {
      accepted: ticks.length - duplicates - rejections.length,
      duplicates,
      rejected: rejections.length,
      lastSeq,
      rejections,
    };
  }

  /** Stores a closed bar, merged with whatever the room already holds for its minute. */
  #closeBar(symbol: string, bar: TimedBar, st: number): MarketMessage {
    const merged = this.#store.mergeClosedBar(bar);
    return this.#barMessage(symbol, merged, merged.time + MINUTE, st, true);
  }

  /**
   * A late trade (its minute already closed, within the lateness bound): merged into that
   * minute's closed bar, which goes out again as `final: true` with the merged figures.
   */
  #amendBar(symbol: string, t: TradeTick, st: number): MarketMessage {
    const minute = Math.floor(t.ts / MINUTE) * MINUTE;
    return this.#closeBar(symbol, barFromTrade(minute, t.ts, t.price, t.size), st);
  }

  #barMessage(symbol: string, bar: OhlcvRow, ts: number, st: number, final: boolean): MarketMessage {
    return {
      type: 'bar',
      symbol,
      seq: ++this.#seq,
      ts,
      st,
      tf: '1m',
      t: bar.time,
      o: bar.open,
      h: bar.high,
      l: bar.low,
      c: bar.close,
      v: bar.volume,
      final,
    };
  }

  #persistState(): void {
    this.#store.setMeta('seq', String(this.#seq));
    this.#store.setMeta('quote', JSON.stringify(this.#state.quote));
    this.#store.setMeta('forming', JSON.stringify(this.#bars.forming));
    this.#store.setMeta('closedBefore', String(this.#bars.closedBefore));
    this.#store.setMeta('lastTradeTs', String(this.#state.lastTradeTs));
    this.#store.setMeta('lastQuoteTs', String(this.#state.lastQuoteTs));
  }

  /**
   * Called with every batch of newly sequenced messages, in order. The streaming layer
   * overrides this to fan messages out to subscribers.
   */
  protected onSequenced(messages: MarketMessage[], _traceId?: string): void {
    const symbol = this.#symbol;
    if (!symbol) return;
    const batch = messages.map(toWire);
    for (const w of batch) this.#ring.push(w);
    this.#gateways.push(symbol, batch);
  }

  /**
   * Registers a gateway (fan-out shard) that has subscribers for this symbol and returns the
   * current snapshot. Idempotent; the registration is persisted.
   */
  async attach(symbol: string, gateway: string): Promise<RoomSnapshot> {
    this.#bind(symbol);
    this.#gateways.add(gateway);
    return this.#snapshot();
  }

  /** Unregisters a gateway whose last subscriber of this symbol left. */
  async detach(symbol: string, gateway: string): Promise<void> {
    this.#bind(symbol);
    this.#gateways.remove(gateway);
  }

  /** The latest quote, forming bar, unflushed closed bars and current seq. */
  async snapshot(symbol: string): Promise<RoomSnapshot> {
    this.#bind(symbol);
    return this.#snapshot();
  }

  #snapshot(): RoomSnapshot {
    return {
      seq: this.#seq,
      st: Date.now(),
      quote: this.#state.quote.seq > 0 || this.#state.quote.last !== null ? { ...this.#state.quote } : null,
      forming: this.#bars.forming ? ohlcv(this.#bars.forming) : null,
      unflushed: this.#store.pendingBars(MAX_FLUSH_BATCH).map((p) => ohlcv(p.bar)),
    };
  }

  /**
   * Messages after `after` up to the current seq: from the in-memory ring when it reaches back
   * that far, else from the SQLite log; `reset` when the gap is too old or too large to replay.
   */
  async replay(symbol: string, after: number): Promise<ReplayResult> {
    this.#bind(symbol);
    const seq = this.#seq;
    if (after > seq || seq - after > MAX_REPLAY) return { kind: 'reset' };
    if (after === seq) return { kind: 'messages', messages: [], seq };
    const fromRing = this.#ring.after(after, MAX_REPLAY);
    if (fromRing) return { kind: 'messages', messages: fromRing, seq };
    const logged = this.#store.messagesAfter(after, MAX_REPLAY);
    if (logged[0]?.seq !== after + 1) return { kind: 'reset' };
    return { kind: 'messages', messages: logged.map(toWire), seq };
  }

  /** Registered gateways and the current seq (admin diagnostics). */
  async stats(symbol: string): Promise<{ symbol: string; seq: number; gateways: string[]; ring: number }> {
    this.#bind(symbol);
    return { symbol, seq: this.#seq, gateways: this.#gateways.names, ring: this.#ring.size };
  }

  /**
   * Chaos: drops the object's in-memory state as a crash would. The caller sees the call fail;
   * the next call starts a fresh instance from storage.
   * https://developers.cloudflare.com/durable-objects/api/state/#abort
   */
  async restart(symbol: string): Promise<void> {
    this.#bind(symbol);
    this.ctx.abort('restart requested');
  }

  /** The latest trade and quote, or null before the first tick. */
  async quote(symbol: string): Promise<Quote | null> {
    this.#bind(symbol);
    return this.#state.quote.seq > 0 ? { ...this.#state.quote } : null;
  }

  /** Messages after `seq` from the log (ascending) and the oldest seq still held. */
  async messagesAfter(
    symbol: string,
    seq: number,
    limit = 5_000,
  ): Promise<{ messages: MarketMessage[]; oldest: number | null; seq: number }> {
    this.#bind(symbol);
    return {
      messages: this.#store.messagesAfter(seq, limit),
      oldest: this.#store.oldestSeq(),
      seq: this.#seq,
    };
  }

  async ping(): Promise<{ ok: true; symbol: string | null; seq: number }> {
    return { ok: true, symbol: this.#symbol, seq: this.#seq };
  }

  /** Makes sure an alarm fires within `FLUSH_DELAY_MS` (to flush) or at the forming bar's end. */
  async #scheduleAlarm(): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    const current = this.#alarmAt;
    const formingEnd = this.#bars.forming ? this.#bars.forming.time + MINUTE + 50 : Number.POSITIVE_INFINITY;
    const wanted = this.#store.pendingBars(1).length > 0 ? Date.now() + FLUSH_DELAY_MS : formingEnd;
    if (Number.isFinite(wanted) && (current === null || current > wanted)) {
      this.#alarmAt = wanted;
      await this.ctx.storage.setAlarm(wanted);
    }
  }

  /** Closes an idle forming bar, flushes closed bars to D1, prunes the logs; re-arms while work remains. */
  override async alarm(): Promise<void> {
    // The alarm that fired is gone; whatever this run sets is recorded where it is set.
    this.#alarmAt = null;
    try {
      await this.#onAlarm();
    } catch (err) {
      this.#alarmAt = undefined; // the platform's retry is scheduled: read it again before deciding
      // Rethrown: the platform retries a failed alarm; reported because no request will see it.
      reportBackgroundError(this.env, err, {
        component: 'symbol-room',
        name: `${this.#symbol ?? '?'}.alarm`,
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
      throw err;
    }
  }

  async #onAlarm(): Promise<void> {
    const symbol = this.#symbol;
    if (!symbol) return;
    const now = Date.now();
    const idle = this.#bars.closeThrough(now);
    if (idle) {
      const m = this.#closeBar(symbol, idle, now);
      this.#store.appendMessage(m);
      this.#persistState();
      this.onSequenced([m]);
    }
    const pending = this.#store.pendingBars(MAX_FLUSH_BATCH);
    try {
      await flushBars(
        this.env,
        symbol,
        pending.map((p) => p.bar),
        this.#state.quote.seq > 0 ? this.#state.quote : null,
      );
      this.#store.markFlushed(pending);
    } catch (err) {
      createLogger({ room: symbol }).warn('bar flush failed; will retry', {
        error: String(err),
        pending: pending.length,
      });
      reportBackgroundError(this.env, err, {
        component: 'symbol-room',
        name: `${symbol}.alarm.flush`,
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
    }
    this.#store.prune(KEEP_MESSAGES, now - SEEN_RETENTION_MS);
    // A trade older than the lateness bound is refused, so no later merge needs these bars.
    const limits = this.#limitsFor(symbol);
    this.#store.pruneClosedBars(now - limits.maxLatenessMs - 2 * MINUTE);
    // Keep waking while bars wait for D1 (soon) or a bar is forming (to close it when its minute ends).
    const retryAt = this.#store.pendingBars(1).length > 0 ? now + FLUSH_DELAY_MS : Number.POSITIVE_INFINITY;
    const formingEnd = this.#bars.forming ? this.#bars.forming.time + MINUTE + 50 : Number.POSITIVE_INFINITY;
    const next = Math.min(retryAt, formingEnd);
    if (Number.isFinite(next)) {
      this.#alarmAt = Math.max(next, now + 100);
      await this.ctx.storage.setAlarm(this.#alarmAt);
    }
  }
}

/** The plain OHLCV of a bar (trade times stay inside the room and D1). */
function ohlcv(b: OhlcvRow): OhlcvRow {
  return { time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
}

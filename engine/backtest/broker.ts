/**
 * Order and trade bookkeeping with backtesting.py 0.6.6's `_Broker` semantics: FIFO
 * netting (no hedging), orders processed in queue order with close orders at the front,
 * stop/limit triggers, contingent stop-loss and take-profit orders, whole-unit sizing
 * with Python's float floor division, commission at entry and exit.
 *
 * Orders are small objects created per event and trades are pooled; the per-bar path
 * ({@link Broker.equityAt}, an empty queue check) allocates nothing. The queue and trade
 * lists shrink with `pop()` only: V8 drops an array's backing store whenever `length` is
 * assigned 0, so the next push would allocate a new one (twice per trade, per list).
 */

import { TradeLog } from './trade-log';

/**
 * A position opened by one fill. Closed trades go to the {@link TradeLog} and the
 * object returns to a pool; `generation` tells orders still pointing at it apart.
 */
export class Trade {
  // Number fields start as doubles (NaN), never as `undefined`: under ES2022 class-field
  // semantics a declared-only field or a constructor parameter property starts out
  // undefined, which makes V8 store the field tagged, and then every store of a
  // non-integer into it allocates a heap number (tens of MB per million-bar run).
  size = Number.NaN;
  entryPrice = Number.NaN;
  entryBar = -1;
  generation = 0;
  exitPrice = Number.NaN;
  exitBar = -1;
  /** Both commissions once closed (the library's `Trade._commissions`); 0 while open. */
  commissions = 0;
  /** Entry commission already debited from cash. */
  entryCommission = 0;
  slOrder: Order | null = null;
  tpOrder: Order | null = null;
  sl = Number.NaN;
  tp = Number.NaN;

  constructor(size: number, entryPrice: number, entryBar: number) {
    this.size = size;
    this.entryPrice = entryPrice;
    this.entryBar = entryBar;
  }

  /** Re-initialises a pooled object as a new trade. */
  reset(size: number, entryPrice: number, entryBar: number): this {
    this.size = size;
    this.entryPrice = entryPrice;
    this.entryBar = entryBar;
    this.exitPrice = Number.NaN;
    this.exitBar = -1;
    this.commissions = 0;
    this.entryCommission = 0;
    this.slOrder = null;
    this.tpOrder = null;
    this.sl = Number.NaN;
    this.tp = Number.NaN;
    return this;
  }
}

/**
 * A working order. NaN marks an absent limit, stop, sl or tp. The broker recycles an
 * order once it has left the queue (filled or cancelled) and the fill step that removed
 * it is over: do not keep one past that.
 */
export class Order {
  // Doubles from the start, as in Trade.
  size = Number.NaN;
  limit = Number.NaN;
  stop = Number.NaN;
  sl = Number.NaN;
  tp = Number.NaN;
  parent: Trade | null = null;
  active = true;
  /** Stop-loss or take-profit order of its trade (the library's `is_contingent`). */
  contingent = false;
  /** Generation of `parent` when the order was made; a mismatch means it closed already. */
  parentGeneration = 0;

  constructor(size: number, limit: number, stop: number, sl: number, tp: number, parent: Trade | null) {
    this.reset(size, limit, stop, sl, tp, parent);
  }

  /** Re-initialises a recycled object as a new order. */
  reset(size: number, limit: number, stop: number, sl: number, tp: number, parent: Trade | null): this {
    this.active = true;
    this.contingent = false;
    this.size = size;
    this.limit = limit;
    this.stop = stop;
    this.sl = sl;
    this.tp = tp;
    this.parent = parent;
    this.parentGeneration = parent === null ? 0 : parent.generation;
    return this;
  }
}

/** Broker settings. */
export interface BrokerConfig {
  cash: number;
  commissionFixed: number;
  commissionRelative: number;
  spread: number;
  /** Required margin ratio (1 = no leverage). */
  margin: number;
  tradeOnClose: boolean;
}

/** Price arrays the broker fills against. */
export interface PriceArrays {
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
}

/**
 * Python's float floor division `a // b` (fmod-based, then snapped), which can differ
 * from `Math.floor(a / b)` when the quotient rounds up to an integer. Whole-unit
 * sizing must floor exactly as the library does. Zero quotients return +0.
 */
export function pyFloorDiv(a: number, b: number): number {
  const q = a / b;
  const f = Math.floor(q);
  // Away from an integer the rounded quotient floors the same way: skip fmod (slow).
  if (q - f > 1e-9 && f + 1 - q > 1e-9 && Number.isFinite(q)) return f;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod && b < 0 !== mod < 0) div -= 1;
  if (!div) return 0;
  let fl = Math.floor(div);
  if (div - fl > 0.5) fl += 1;
  return fl;
}

/** Cash, open and closed trades, and the order queue of one run. */
export class Broker {
  // Doubles from the start, as in Trade.
  cash = Number.NaN;
  readonly trades: Trade[] = [];
  readonly closed: TradeLog;
  readonly #pool: Trade[] = [];
  orders: Order[] = [];
  /**
   * Orders that left the queue, recycled at the start of the next fill step: one that
   * left during a fill step is still in that step's snapshot, and reusing it there
   * (as a new trade's stop-loss, say) would get it processed in the same pass.
   */
  readonly #retired: Order[] = [];
  readonly #orderPool: Order[] = [];
  /** Reused snapshot of the queue while it is processed (orders leave it mid-loop). */
  readonly #snapshot: Order[] = [];
  readonly #fixed: number = Number.NaN;
  readonly #relative: number = Number.NaN;
  readonly #spread: number = Number.NaN;
  readonly #leverage: number = Number.NaN;
  readonly #toc: boolean = false;
  readonly #p: PriceArrays;

  /** `expectedTrades` sizes the closed-trade log up front (it grows past that). */
  constructor(config: BrokerConfig, prices: PriceArrays, expectedTrades = 64) {
    this.closed = new TradeLog(expectedTrades);
    this.cash = config.cash;
    this.#fixed = config.commissionFixed;
    this.#relative = config.commissionRelative;
    this.#spread = config.spread;
    this.#leverage = 1 / config.margin;
    this.#toc = config.tradeOnClose;
    this.#p = prices;
  }

  /** Commission of a fill of `size` units at `price`. */
  commission(size: number, price: number): number {
    return this.#fixed + Math.abs(size) * price * this.#relative;
  }

  /** Equity marked at bar i's close: cash plus open trades' profit. */
  equityAt(i: number): number {
    const c = this.#p.close[i]!;
    const t = this.trades;
    let eq = this.cash;
    for (let k = 0; k < t.length; k++) {
      const tr = t[k]!;
      eq += tr.size * (c - tr.entryPrice) - tr.commissions;
    }
    return eq;
  }

  /** Signed sum of open trade sizes. */
  positionSize(): number {
    const t = this.trades;
    let s = 0;
    for (let k = 0; k < t.length; k++) s += t[k]!.size;
    return s;
  }

  /** Equity not tied up as margin by open trades, marked at bar i's close. */
  marginAvailable(i: number): number {
    const c = this.#p.close[i]!;
    const t = this.trades;
    let used = 0;
    for (let k = 0; k < t.length; k++) used += (Math.abs(t[k]!.size) * c) / this.#leverage;
    return Math.max(0, this.equityAt(i) - used);
  }

  /** Queues a new entry order (NaN for absent prices); it goes to the back of the queue. */
  newOrder(size: number, limit: number, stop: number, sl: number, tp: number): Order {
    const o = this.#order(size, limit, stop, sl, tp, null);
    this.orders.push(o);
    return o;
  }

  /** `trade.close()`: a market order for the whole trade, at the front of the queue. */
  closeTradeOrder(trade: Trade): void {
    this.#pushFront(this.#order(-trade.size, Number.NaN, Number.NaN, Number.NaN, Number.NaN, trade));
  }

  #order(size: number, limit: number, stop: number, sl: number, tp: number, parent: Trade | null): Order {
    const pooled = this.#orderPool.pop();
    return pooled === undefined
      ? new Order(size, limit, stop, sl, tp, parent)
      : pooled.reset(size, limit, stop, sl, tp, parent);
  }

  #retire(o: Order): void {
    o.active = false;
    this.#retired.push(o);
  }

  // The queue holds a handful of orders: shifting by hand beats unshift/splice,
  // which V8 handles through generic (slow) paths.
  #pushFront(o: Order): void {
    const q = this.orders;
    q.push(o);
    for (let k = q.length - 1; k > 0; k--) q[k] = q[k - 1]!;
    q[0] = o;
  }

  /** `position.close()`: one close order per open trade, each inserted at the front. */
  closePosition(): void {
    const t = this.trades;
    for (let k = 0; k < t.length; k++) this.closeTradeOrder(t[k]!);
  }

  /** Cancels queued entry orders (not close, stop-loss or take-profit orders). */
  cancelEntryOrders(): void {
    const q = this.orders;
    const n = q.length;
    let kept = 0;
    for (let k = 0; k < n; k++) {
      const o = q[k]!;
      if (o.parent !== null) q[kept++] = o;
      else this.#retire(o);
    }
    for (let k = kept; k < n; k++) q.pop();
  }

  #remove(order: Order): void {
    const q = this.orders;
    const n = q.length;
    let k = 0;
    while (k < n && q[k] !== order) k++;
    if (k < n) {
      for (; k < n - 1; k++) q[k] = q[k + 1]!;
      q.pop();
      this.#retire(order);
    } else {
      order.active = false;
    }
  }

  /** Fills or cancels queued orders against bar i (the library's `_process_orders`). */
  processOrders(i: number): void {
    // Prices are read where needed: a market fill touches only the open (at a signal
    // every few bars, each read is a cache miss).
    const { open: O, high: H, low: L, close: C } = this.#p;
    let reprocess = false;
    const retired = this.#retired;
    while (retired.length !== 0) this.#orderPool.push(retired.pop()!);
    // Copied over in place (never cleared: see the note on pop() above); slots past
    // `count` hold stale orders that are never read.
    const snap = this.#snapshot;
    const queue = this.orders;
    const count = queue.length;
    for (let k = 0; k < count; k++) snap[k] = queue[k]!;
    for (let q = 0; q < count; q++) {
      const order = snap[q]!;
      if (!order.active) continue;
      const isLong = order.size > 0;
      const stopPrice = order.stop;
      const hasStop = !Number.isNaN(stopPrice);
      if (hasStop) {
        const hit = isLong ? H[i]! >= stopPrice : L[i]! <= stopPrice;
        if (!hit) continue;
        // A triggered stop order becomes a market (or limit) order.
        order.stop = Number.NaN;
      }
      const limit = order.limit;
      const hasLimit = !Number.isNaN(limit);
      const contingent = order.contingent;
      let price: number;
      if (hasLimit) {
        const hitLimit = isLong ? L[i]! < limit : H[i]! > limit;
        const beforeStop =
          hitLimit &&
          (isLong ? limit < (hasStop ? stopPrice : -Infinity) : limit > (hasStop ? stopPrice : Infinity));
        if (!hitLimit || beforeStop) continue;
        price = isLong
          ? Math.min(hasStop ? stopPrice : O[i]!, limit)
          : Math.max(hasStop ? stopPrice : O[i]!, limit);
      } else {
        price = this.#toc && !contingent ? C[i - 1]! : O[i]!;
        if (hasStop) price = isLong ? Math.max(price, stopPrice) : Math.min(price, stopPrice);
      }
      const isMarket = !hasLimit && !hasStop;
      const bar = isMarket && this.#toc && !contingent ? i - 1 : i;

      const trade = order.parent;
      if (trade !== null) {
        const size = Math.sign(order.size) * Math.min(Math.abs(trade.size), Math.abs(order.size));
        if (order.parentGeneration === trade.generation && trade.exitBar < 0) {
          this.#reduceTrade(trade, price, size, bar);
        }
        if (order !== trade.slOrder && order !== trade.tpOrder) this.#remove(order);
        continue;
      }

      const adjusted = price * (1 + (isLong ? this.#spread : -this.#spread));
      const perUnit = adjusted + this.commission(order.size, price) / Math.abs(order.size);
      let size = order.size;
      if (-1 < size && size < 1) {
        const units = Math.trunc(
          pyFloorDiv(this.marginAvailable(i) * this.#leverage * Math.abs(size), perUnit),
        );
        size = isLong ? units : -units;
        if (!size) {
          this.#remove(order);
          continue;
        }
      }
      let need = size;
      for (let k = 0; k < this.trades.length; ) {
        const t = this.trades[k]!;
        if (t.size > 0 === isLong) {
          k++;
          continue;
        }
        if (Math.abs(need) >= Math.abs(t.size)) {
          // Removes t from this.trades: the next trade moves into slot k.
          this.#closeTrade(t, price, bar);
          need += t.size;
        } else {
          this.#reduceTrade(t, price, need, bar);
          need = 0;
        }
        if (!need) break;
      }
      if (Math.abs(need) * perUnit > this.marginAvailable(i) * this.#leverage) {
        this.#remove(order);
        continue;
      }
      if (need) {
        this.#openTrade(adjusted, need, order.sl, order.tp, bar);
        const hasSl = !Number.isNaN(order.sl);
        const hasTp = !Number.isNaN(order.tp);
        if (hasSl || hasTp) {
          if (isMarket) reprocess = true;
          else if (
            hasStop &&
            !hasLimit &&
            hasTp &&
            ((isLong && order.tp <= H[i]! && (hasSl ? order.sl : -Infinity) < L[i]!) ||
              (!isLong && order.tp >= L[i]! && (hasSl ? order.sl : Infinity) > H[i]!))
          ) {
            reprocess = true;
          }
        }
      }
      this.#remove(order);
    }
    if (reprocess) this.processOrders(i);
  }

  #reduceTrade(trade: Trade, price: number, size: number, bar: number): void {
    const left = trade.size + size;
    let closing = trade;
    if (left) {
      trade.size = left;
      if (trade.slOrder) trade.slOrder.size = -left;
      if (trade.tpOrder) trade.tpOrder.size = -left;
      closing = this.#newTrade(-size, trade.entryPrice, trade.entryBar);
      closing.sl = trade.sl;
      closing.tp = trade.tp;
      this.trades.push(closing);
    }
    this.#closeTrade(closing, price, bar);
  }

  #closeTrade(trade: Trade, price: number, bar: number): void {
    // A trade-on-close market fill is booked on the previous bar at its close. Only the
    // finalize step (a second fill step on the last bar) can apply that to a trade that
    // entered on the last bar itself (a stop or limit entry), which would then exit a bar
    // before it entered: such a trade exits on its entry bar, at that bar's close.
    if (bar < trade.entryBar) {
      bar = trade.entryBar;
      price = this.#p.close[bar]!;
    }
    const t = this.trades;
    const n = t.length;
    let k = 0;
    while (k < n && t[k] !== trade) k++;
    if (k < n) {
      for (; k < n - 1; k++) t[k] = t[k + 1]!;
      t.pop();
    }
    if (trade.slOrder) this.#remove(trade.slOrder);
    if (trade.tpOrder) this.#remove(trade.tpOrder);
    trade.exitPrice = price;
    trade.exitBar = bar;
    const exitCommission = this.commission(trade.size, price);
    this.cash -= exitCommission;
    trade.commissions = exitCommission + this.commission(trade.size, trade.entryPrice);
    this.cash += trade.size * (price - trade.entryPrice);
    this.closed.push(trade);
    trade.generation++;
    this.#pool.push(trade);
  }

  #newTrade(size: number, price: number, bar: number): Trade {
    const pooled = this.#pool.pop();
    return pooled === undefined ? new Trade(size, price, bar) : pooled.reset(size, price, bar);
  }

  #openTrade(price: number, size: number, sl: number, tp: number, bar: number): void {
    const trade = this.#newTrade(size, price, bar);
    this.trades.push(trade);
    const c = this.commission(size, price);
    trade.entryCommission = c;
    this.cash -= c;
    // Take-profit first, then stop-loss at the front: a stop-loss is processed first
    // when both would fill within one bar (the pessimistic assumption).
    if (!Number.isNaN(tp)) {
      trade.tp = tp;
      const o = this.#order(-size, tp, Number.NaN, Number.NaN, Number.NaN, trade);
      o.contingent = true;
      trade.tpOrder = o;
      this.orders.push(o);
    }
    if (!Number.isNaN(sl)) {
      trade.sl = sl;
      const o = this.#order(-size, Number.NaN, sl, Number.NaN, Number.NaN, trade);
      o.contingent = true;
      trade.slOrder = o;
      this.#pushFront(o);
    }
  }

  /**
   * Equity went to zero or below: close every trade at bar i's close and empty the cash
   * (the library iterates its trade list while removing from it, so with several open
   * trades every other one stays open; reproduced as is).
   */
  liquidate(i: number): void {
    const c = this.#p.close[i]!;
    for (let k = 0; k < this.trades.length; k++) this.#closeTrade(this.trades[k]!, c, i);
    this.cash = 0;
  }
}

/**
 * Order and trade bookkeeping with backtesting.py 0.6.6's `_Broker` semantics: FIFO
 * netting (no hedging), orders processed in queue order with close orders at the front,
 * stop/limit triggers, contingent stop-loss and take-profit orders, whole-unit sizing
 * with Python's float floor division, commission at entry and exit.
 *
 * Orders and trades are small objects created per event; the per-bar path
 * ({@link Broker.equityAt}, an empty queue check) allocates nothing.
 */

import { TradeLog } from './trade-log';

/**
 * A position opened by one fill. Closed trades go to the {@link TradeLog} and the
 * object returns to a pool; `generation` tells orders still pointing at it apart.
 */
export class Trade {
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

  constructor(
    public size: number,
    public entryPrice: number,
    public entryBar: number,
  ) {}

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

/** A working order. NaN marks an absent limit, stop, sl or tp. */
export class Order {
  active = true;
  /** Stop-loss or take-profit order of its trade (the library's `is_contingent`). */
  contingent = false;
  /** Generation of `parent` when the order was made; a mismatch means it closed already. */
  parentGeneration: number;

  constructor(
    public size: number,
    public limit: number,
    public stop: number,
    public readonly sl: number,
    public readonly tp: number,
    public readonly parent: Trade | null,
  ) {
    this.parentGeneration = parent === null ? 0 : parent.generation;
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
  cash: number;
  readonly trades: Trade[] = [];
  readonly closed = new TradeLog();
  readonly #pool: Trade[] = [];
  orders: Order[] = [];
  /** Reused snapshot of the queue while it is processed (orders leave it mid-loop). */
  readonly #snapshot: Order[] = [];
  readonly #fixed: number;
  readonly #relative: number;
  readonly #spread: number;
  readonly #leverage: number;
  readonly #toc: boolean;
  readonly #p: PriceArrays;

  constructor(config: BrokerConfig, prices: PriceArrays) {
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
    let s = 0;
    for (const t of this.trades) s += t.size;
    return s;
  }

  /** Equity not tied up as margin by open trades, marked at bar i's close. */
  marginAvailable(i: number): number {
    const c = this.#p.close[i]!;
    let used = 0;
    for (const t of this.trades) used += (Math.abs(t.size) * c) / this.#leverage;
    return Math.max(0, this.equityAt(i) - used);
  }

  /** Queues a new entry order (NaN for absent prices); it goes to the back of the queue. */
  newOrder(size: number, limit: number, stop: number, sl: number, tp: number): Order {
    const o = new Order(size, limit, stop, sl, tp, null);
    this.orders.push(o);
    return o;
  }

  /** `trade.close()`: a market order for the whole trade, at the front of the queue. */
  closeTradeOrder(trade: Trade): void {
    this.#pushFront(new Order(-trade.size, Number.NaN, Number.NaN, Number.NaN, Number.NaN, trade));
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
    for (const t of this.trades) this.closeTradeOrder(t);
  }

  /** Cancels queued entry orders (not close, stop-loss or take-profit orders). */
  cancelEntryOrders(): void {
    if (this.orders.length === 0) return;
    this.orders = this.orders.filter((o) => {
      if (o.parent !== null) return true;
      o.active = false;
      return false;
    });
  }

  #remove(order: Order): void {
    const q = this.orders;
    const n = q.length;
    let k = 0;
    while (k < n && q[k] !== order) k++;
    if (k < n) {
      for (; k < n - 1; k++) q[k] = q[k + 1]!;
      q.length = n - 1;
    }
    order.active = false;
  }

  /** Fills or cancels queued orders against bar i (the library's `_process_orders`). */
  processOrders(i: number): void {
    const { open: O, high: H, low: L, close: C } = this.#p;
    const open = O[i]!;
    const high = H[i]!;
    const low = L[i]!;
    let reprocess = false;
    const snap = this.#snapshot;
    snap.length = 0;
    for (const o of this.orders) snap.push(o);
    for (let q = 0; q < snap.length; q++) {
      const order = snap[q]!;
      if (!order.active) continue;
      const isLong = order.size > 0;
      const stopPrice = order.stop;
      const hasStop = !Number.isNaN(stopPrice);
      if (hasStop) {
        const hit = isLong ? high >= stopPrice : low <= stopPrice;
        if (!hit) continue;
        // A triggered stop order becomes a market (or limit) order.
        order.stop = Number.NaN;
      }
      const limit = order.limit;
      const hasLimit = !Number.isNaN(limit);
      const contingent = order.contingent;
      let price: number;
      if (hasLimit) {
        const hitLimit = isLong ? low < limit : high > limit;
        const beforeStop =
          hitLimit &&
          (isLong ? limit < (hasStop ? stopPrice : -Infinity) : limit > (hasStop ? stopPrice : Infinity));
        if (!hitLimit || beforeStop) continue;
        price = isLong
          ? Math.min(hasStop ? stopPrice : open, limit)
          : Math.max(hasStop ? stopPrice : open, limit);
      } else {
        price = this.#toc && !contingent ? C[i - 1]! : open;
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
            ((isLong && order.tp <= high && (hasSl ? order.sl : -Infinity) < low) ||
              (!isLong && order.tp >= low && (hasSl ? order.sl : Infinity) > high))
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
    const t = this.trades;
    const n = t.length;
    let k = 0;
    while (k < n && t[k] !== trade) k++;
    if (k < n) {
      for (; k < n - 1; k++) t[k] = t[k + 1]!;
      t.length = n - 1;
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
      const o = new Order(-size, tp, Number.NaN, Number.NaN, Number.NaN, trade);
      o.contingent = true;
      trade.tpOrder = o;
      this.orders.push(o);
    }
    if (!Number.isNaN(sl)) {
      trade.sl = sl;
      const o = new Order(-size, Number.NaN, sl, Number.NaN, Number.NaN, trade);
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

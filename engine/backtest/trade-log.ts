import type { TradeColumns } from '../stats/types';

/** What the log needs of a trade at its close. */
export interface ClosingTrade {
  readonly size: number;
  readonly entryBar: number;
  readonly exitBar: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly commissions: number;
  readonly sl: number;
  readonly tp: number;
}

/**
 * Closed trades in growable typed columns: a run with many trades keeps no object per
 * trade alive (they would all be promoted by the garbage collector); trade objects are
 * built only when a caller asks for the list.
 */
export class TradeLog implements TradeColumns {
  count = 0;
  size: Float64Array;
  entryBar: Float64Array;
  exitBar: Float64Array;
  entryPrice: Float64Array;
  exitPrice: Float64Array;
  commission: Float64Array;
  pnl: Float64Array;
  returnPct: Float64Array;
  sl: Float64Array;
  tp: Float64Array;

  /**
   * `capacity`: expected trades. Sizing the columns up front spares the copies of
   * repeated doubling (each new column is fresh memory, paid for in page faults).
   */
  constructor(capacity = 64) {
    const cap = Math.max(16, Math.ceil(capacity));
    this.size = new Float64Array(cap);
    this.entryBar = new Float64Array(cap);
    this.exitBar = new Float64Array(cap);
    this.entryPrice = new Float64Array(cap);
    this.exitPrice = new Float64Array(cap);
    this.commission = new Float64Array(cap);
    this.pnl = new Float64Array(cap);
    this.returnPct = new Float64Array(cap);
    this.sl = new Float64Array(cap);
    this.tp = new Float64Array(cap);
  }

  /** Appends a closed trade with the library's `pl` and `pl_pct` (net of both commissions). */
  push(t: ClosingTrade): void {
    if (this.count === this.size.length) this.#grow();
    const k = this.count++;
    this.size[k] = t.size;
    this.entryBar[k] = t.entryBar;
    this.exitBar[k] = t.exitBar;
    this.entryPrice[k] = t.entryPrice;
    this.exitPrice[k] = t.exitPrice;
    this.commission[k] = t.commissions;
    this.pnl[k] = t.size * (t.exitPrice - t.entryPrice) - t.commissions;
    this.returnPct[k] =
      Math.sign(t.size) * (t.exitPrice / t.entryPrice - 1) -
      t.commissions / (Math.abs(t.size) * t.entryPrice);
    this.sl[k] = t.sl;
    this.tp[k] = t.tp;
  }

  #grow(): void {
    const cap = this.size.length * 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.size = grow(this.size);
    this.entryBar = grow(this.entryBar);
    this.exitBar = grow(this.exitBar);
    this.entryPrice = grow(this.entryPrice);
    this.exitPrice = grow(this.exitPrice);
    this.commission = grow(this.commission);
    this.pnl = grow(this.pnl);
    this.returnPct = grow(this.returnPct);
    this.sl = grow(this.sl);
    this.tp = grow(this.tp);
  }
}

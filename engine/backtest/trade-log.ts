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
  size: Float64Array = new Float64Array(64);
  entryBar: Float64Array = new Float64Array(64);
  exitBar: Float64Array = new Float64Array(64);
  entryPrice: Float64Array = new Float64Array(64);
  exitPrice: Float64Array = new Float64Array(64);
  commission: Float64Array = new Float64Array(64);
  pnl: Float64Array = new Float64Array(64);
  returnPct: Float64Array = new Float64Array(64);
  sl: Float64Array = new Float64Array(64);
  tp: Float64Array = new Float64Array(64);

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

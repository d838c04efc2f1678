/**
 * The hand-written ceiling for bench:backtest: SMA crossover, always in the market,
 * all-in whole units, next-open fills, relative commission, equity per bar, in one
 * plain Float64Array loop with no engine around it.
 */
export interface BaselineBuffers {
  fast: Float64Array;
  slow: Float64Array;
  equity: Float64Array;
}

export function allocBaseline(n: number): BaselineBuffers {
  return { fast: new Float64Array(n), slow: new Float64Array(n), equity: new Float64Array(n) };
}

function rollingMean(src: Float64Array, p: number, out: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < src.length; i++) {
    sum += src[i]!;
    if (i >= p) sum -= src[i - p]!;
    out[i] = i >= p - 1 ? sum / p : Number.NaN;
  }
}

/** Runs the loop; `smas` false reuses fast/slow already in `buf` (sweep baseline). Returns trades. */
export function baselineSmaCross(
  open: Float64Array,
  close: Float64Array,
  fastP: number,
  slowP: number,
  cash0: number,
  commission: number,
  buf: BaselineBuffers,
  smas = true,
): number {
  const n = close.length;
  const { fast, slow, equity } = buf;
  if (smas) {
    rollingMean(close, fastP, fast);
    rollingMean(close, slowP, slow);
  }
  let cash = cash0;
  let size = 0;
  let entry = 0;
  let pending = 0;
  let trades = 0;
  const start = slowP;
  for (let i = 0; i < start && i < n; i++) equity[i] = cash0;
  for (let i = start; i < n; i++) {
    if (pending !== 0) {
      const px = open[i]!;
      if (size !== 0) {
        cash += size * (px - entry) - Math.abs(size) * px * commission;
        size = 0;
        trades++;
      }
      const units = Math.floor(cash / (px * (1 + commission)));
      if (units > 0) {
        size = pending * units;
        entry = px;
        cash -= units * px * commission;
      }
      pending = 0;
    }
    equity[i] = cash + size * (close[i]! - entry);
    const f0 = fast[i - 1]!;
    const s0 = slow[i - 1]!;
    const f1 = fast[i]!;
    const s1 = slow[i]!;
    if (f0 < s0 && f1 > s1) pending = 1;
    else if (s0 < f0 && s1 > f1) pending = -1;
  }
  return trades;
}

import type { OhlcvSeries } from '../data/bars';

/**
 * Names of the per-bar features, in column order. Every feature of bar i reads only bars
 * (i - FEATURE_WINDOW) ..= i, so a row never changes when later bars arrive.
 */
export const FEATURE_NAMES = [
  'ret1',
  'ret2',
  'ret3',
  'mom5',
  'mom10',
  'mom40',
  'bollingerZ20',
  'rsi14',
  'volRatio10of40',
  'rangeToVol10',
  'efficiency20',
] as const;

/** Number of features per row. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Bars of history before bar i that its features read (bar i - FEATURE_WINDOW is the oldest). */
export const FEATURE_WINDOW = 40;

/** Column indices, so agents read features by name rather than by magic number. */
export const F = Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, i])) as {
  readonly [K in (typeof FEATURE_NAMES)[number]]: number;
};

// Prices that do not move for a whole window (halted markets, stale feeds) would otherwise
// divide by zero; features become 0 there instead of NaN.
const VOL_FLOOR = 1e-10;
const FEATURE_CLAMP = 20;

/** Per-bar features plus the 20-bar volatility used to scale returns, for bars [0, n). */
export interface FeatureMatrix {
  /** Row-major n×FEATURE_COUNT; rows before FEATURE_WINDOW are zero and must not be used. */
  readonly values: Float64Array;
  /** Standard deviation of the last 20 one-bar log returns at each bar (0 before the window). */
  readonly vol20: Float64Array;
  readonly rows: number;
}

/** Computes the feature matrix for bars [0, end) of a series. */
export function featureMatrix(series: OhlcvSeries, end = series.close.length): FeatureMatrix {
  const values = new Float64Array(end * FEATURE_COUNT);
  const vol20 = new Float64Array(end);
  const scratch = new Float64Array(FEATURE_WINDOW);
  for (let i = FEATURE_WINDOW; i < end; i++) {
    vol20[i] = featuresAt(series, i, values, i * FEATURE_COUNT, scratch);
  }
  return { values, vol20, rows: end };
}

/**
 * Writes the features of bar i into out[offset ..] and returns that bar's 20-bar volatility.
 * Requires i >= FEATURE_WINDOW.
 */
export function featuresAt(
  series: OhlcvSeries,
  i: number,
  out: Float64Array,
  offset = 0,
  scratch: Float64Array = new Float64Array(FEATURE_WINDOW),
): number {
  const c = series.close;
  // lr[k] = log return of bar i - k.
  const lr = scratch;
  for (let k = 0; k < FEATURE_WINDOW; k++) lr[k] = Math.log(c[i - k]! / c[i - k - 1]!);
  const sd10 = stdev(lr, 10);
  const sd20 = stdev(lr, 20);
  const sd40 = stdev(lr, 40);
  const lc = Math.log(c[i]!);
  out[offset] = ratio(lr[0]!, sd20);
  out[offset + 1] = ratio(lr[1]!, sd20);
  out[offset + 2] = ratio(lr[2]!, sd20);
  out[offset + 3] = ratio(lc - Math.log(c[i - 5]!), sd20 * Math.sqrt(5));
  out[offset + 4] = ratio(lc - Math.log(c[i - 10]!), sd20 * Math.sqrt(10));
  out[offset + 5] = ratio(lc - Math.log(c[i - 40]!), sd40 * Math.sqrt(40));
  out[offset + 6] = bollingerZ(c, i, 20);
  out[offset + 7] = rsiCentered(c, i, 14);
  out[offset + 8] = sd10 > VOL_FLOOR && sd40 > VOL_FLOOR ? clamp(Math.log(sd10 / sd40)) : 0;
  out[offset + 9] = rangeToVol(series, i, 10, sd20);
  out[offset + 10] = efficiency(lr, 20);
  return sd20;
}

function stdev(x: Float64Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += x[k]!;
  const m = s / n;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const e = x[k]! - m;
    v += e * e;
  }
  return Math.sqrt(v / (n - 1));
}

function ratio(num: number, den: number): number {
  return den > VOL_FLOOR ? clamp(num / den) : 0;
}

function clamp(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.min(Math.max(v, -FEATURE_CLAMP), FEATURE_CLAMP);
}

function bollingerZ(c: Float64Array, i: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += c[i - k]!;
  const m = s / n;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const e = c[i - k]! - m;
    v += e * e;
  }
  const sd = Math.sqrt(v / n);
  return sd > VOL_FLOOR * m ? clamp((c[i]! - m) / sd) : 0;
}

// Cutler's RSI (simple averages over a fixed window) so the value depends on a finite window only,
// unlike Wilder's smoothing which reaches back to the first bar.
function rsiCentered(c: Float64Array, i: number, n: number): number {
  let up = 0;
  let down = 0;
  for (let k = 0; k < n; k++) {
    const d = c[i - k]! - c[i - k - 1]!;
    if (d > 0) up += d;
    else down -= d;
  }
  const total = up + down;
  return total > 0 ? (up - down) / total : 0;
}

function rangeToVol(series: OhlcvSeries, i: number, n: number, sd20: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) {
    const close = series.close[i - k]!;
    s += (series.high[i - k]! - series.low[i - k]!) / close;
  }
  const avg = s / n;
  return avg > VOL_FLOOR && sd20 > VOL_FLOOR ? clamp(Math.log(avg / sd20)) : 0;
}

function efficiency(lr: Float64Array, n: number): number {
  let net = 0;
  let path = 0;
  for (let k = 0; k < n; k++) {
    net += lr[k]!;
    path += Math.abs(lr[k]!);
  }
  return path > VOL_FLOOR ? Math.abs(net) / path : 0;
}

import type { OhlcvSeries } from '../data/bars';
import { annualization, bucketEnds, dataPeriodMs, type ResampleFrequency, resolutionMs } from './periods';

/**
 * Everything the statistics need that depends on the series alone, computed once and
 * reused by every run on that series (a parameter sweep computes it once).
 */
export interface StatsContext {
  readonly n: number;
  readonly time: Float64Array;
  readonly close: Float64Array;
  /** Unit that durations are rounded up to, ms. */
  readonly resolutionMs: number;
  readonly periodsPerYear: number;
  readonly freq: ResampleFrequency;
  /** Last bar of each resampling bucket. */
  readonly bucketEnds: Int32Array;
  /** Close log returns minus their mean (length n − 1). */
  readonly marketCentered: Float64Array;
  /** Sum of squared centred close log returns. */
  readonly marketSS: number;
}

const cache = new WeakMap<Float64Array, StatsContext>();

/** Builds (or returns the cached) statistics context of a series. */
export function statsContext(series: OhlcvSeries): StatsContext {
  const hit = cache.get(series.close);
  if (hit !== undefined && hit.time === series.time) return hit;
  const { time, close } = series;
  const n = close.length;
  const period = dataPeriodMs(time);
  const { periods, freq } = annualization(time, period);
  const m = Math.max(0, n - 1);
  const centered = new Float64Array(m);
  let mean = 0;
  for (let i = 0; i < m; i++) {
    const r = Math.log(close[i + 1]! / close[i]!);
    centered[i] = r;
    mean += r;
  }
  mean /= m;
  let ss = 0;
  for (let i = 0; i < m; i++) {
    const d = centered[i]! - mean;
    centered[i] = d;
    ss += d * d;
  }
  const ctx: StatsContext = {
    n,
    time,
    close,
    resolutionMs: resolutionMs(period),
    periodsPerYear: periods,
    freq,
    bucketEnds: bucketEnds(time, freq),
    marketCentered: centered,
    marketSS: ss,
  };
  cache.set(close, ctx);
  return ctx;
}

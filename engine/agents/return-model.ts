import type { FeatureMatrix } from './features';
import { quantileSorted } from './math';
import type { ReturnEstimate, ReturnParams } from './schema';

/**
 * Fits the forward-return distribution on rows [lo, hi] (the most recent `window` of them):
 * forward h-bar simple returns divided by each row's 20-bar volatility, so that at prediction
 * time the interval scales with the current volatility.
 */
export function fitReturnModel(
  fm: FeatureMatrix,
  close: ArrayLike<number>,
  lo: number,
  hi: number,
  horizon: number,
  window: number,
  level: number,
): ReturnParams {
  const from = Math.max(lo, hi - window + 1);
  const u: number[] = [];
  let upSum = 0;
  let upCount = 0;
  let downSum = 0;
  let downCount = 0;
  for (let i = from; i <= hi; i++) {
    const vol = fm.vol20[i]!;
    if (!(vol > 0)) continue;
    const r = (close[i + horizon]! / close[i]! - 1) / vol;
    u.push(r);
    if (r > 0) {
      upSum += r;
      upCount++;
    } else {
      downSum += r;
      downCount++;
    }
  }
  const sorted = Float64Array.from(u).sort();
  let mean = 0;
  for (const r of u) mean += r;
  mean = u.length > 0 ? mean / u.length : 0;
  return {
    upMean: upCount > 0 ? upSum / upCount : 0,
    downMean: downCount > 0 ? downSum / downCount : 0,
    mean,
    lowerOffset: quantileSorted(sorted, (1 - level) / 2) - mean,
    upperOffset: quantileSorted(sorted, (1 + level) / 2) - mean,
    level,
    samples: u.length,
  };
}

/** Expected simple return and interval for P(up) = p at a bar whose 20-bar volatility is vol20. */
export function returnEstimate(params: ReturnParams, p: number, vol20: number): ReturnEstimate {
  const mean = vol20 * (p * params.upMean + (1 - p) * params.downMean);
  return {
    mean,
    lower: mean + vol20 * params.lowerOffset,
    upper: mean + vol20 * params.upperOffset,
    level: params.level,
  };
}

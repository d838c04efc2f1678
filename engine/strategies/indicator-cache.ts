import type { OhlcvSeries } from '../data/bars';

/**
 * Memoises indicator arrays of one series by a descriptive key such as `sma:close:10`,
 * so a parameter sweep or a rule set computes each distinct indicator once.
 */
export class IndicatorCache {
  readonly #arrays = new Map<string, Float64Array>();
  readonly series: OhlcvSeries;

  constructor(series: OhlcvSeries) {
    this.series = series;
  }

  /** The array under `key`, computing and storing it on first use. */
  get(key: string, compute: () => Float64Array): Float64Array {
    let a = this.#arrays.get(key);
    if (a === undefined) {
      a = compute();
      this.#arrays.set(key, a);
    }
    return a;
  }

  /** Number of arrays held. */
  get size(): number {
    return this.#arrays.size;
  }
}

import type { OhlcvSeries } from '../data/bars';

/**
 * Memoises indicator arrays of one series by a descriptive key such as `sma:close:10`,
 * so a parameter sweep or a rule set computes each distinct indicator once.
 *
 * `scratch` arrays (series length) are handed out as output buffers before any new array
 * is allocated. Only a cache that lives no longer than the compile step may take them:
 * `runBacktest` lends the equity and drawdown arrays of its result, which are written
 * only after the signals are compiled, so a run allocates no throwaway indicator arrays.
 */
export class IndicatorCache {
  readonly #arrays = new Map<string, Float64Array>();
  readonly #scratch: Float64Array[];
  readonly series: OhlcvSeries;

  constructor(series: OhlcvSeries, scratch: readonly Float64Array[] = []) {
    this.series = series;
    const n = series.close.length;
    // Distinct arrays only: two indicators sharing one buffer would overwrite each other.
    this.#scratch = [...new Set(scratch)].filter((a) => a.length === n);
  }

  /**
   * The array under `key`, computing and storing it on first use. `compute` receives a
   * scratch buffer to write into when one is left (it may ignore it).
   */
  get(key: string, compute: (out: Float64Array | undefined) => Float64Array): Float64Array {
    let a = this.#arrays.get(key);
    if (a === undefined) {
      const out = this.#scratch.pop();
      a = compute(out);
      if (out !== undefined && a !== out) this.#scratch.push(out);
      this.#arrays.set(key, a);
    }
    return a;
  }

  /** Whether `key` is held. */
  has(key: string): boolean {
    return this.#arrays.has(key);
  }

  /**
   * Stores two arrays computed together in one pass (a fused kernel), lending scratch
   * buffers as {@link get} does. Both keys must be missing.
   */
  putPair(
    k1: string,
    k2: string,
    compute: (
      o1: Float64Array | undefined,
      o2: Float64Array | undefined,
    ) => readonly [Float64Array, Float64Array],
  ): void {
    if (this.#arrays.has(k1) || this.#arrays.has(k2)) throw new Error(`putPair: ${k1} or ${k2} already held`);
    const o1 = this.#scratch.pop();
    const o2 = this.#scratch.pop();
    const [a, b] = compute(o1, o2);
    for (const o of [o2, o1]) if (o !== undefined && o !== a && o !== b) this.#scratch.push(o);
    this.#arrays.set(k1, a);
    this.#arrays.set(k2, b);
  }

  /** Number of arrays held. */
  get size(): number {
    return this.#arrays.size;
  }
}

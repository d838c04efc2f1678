import type { OhlcvSeries } from '../data/bars';

/** A price field of the series usable as an indicator source. */
export type PriceField = 'open' | 'high' | 'low' | 'close' | 'volume';

/** Price fields, for schemas. */
export const PRICE_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;

/** The array of a price field. */
export function priceArray(series: OhlcvSeries, field: PriceField): Float64Array {
  return series[field];
}

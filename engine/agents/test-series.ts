import type { OhlcvSeries } from '../data/bars';
import { mulberry32 } from '../random';

/** A copy of `series` whose bars after `index` are replaced by an unrelated random path. */
export function withDifferentFuture(series: OhlcvSeries, index: number, seed: number): OhlcvSeries {
  const rand = mulberry32(seed);
  const copy = {
    time: series.time.slice(),
    open: series.open.slice(),
    high: series.high.slice(),
    low: series.low.slice(),
    close: series.close.slice(),
    volume: series.volume.slice(),
  };
  let price = copy.close[index]!;
  for (let i = index + 1; i < copy.close.length; i++) {
    const open = price;
    price = open * Math.exp((rand() - 0.5) * 0.2);
    copy.open[i] = open;
    copy.close[i] = price;
    copy.high[i] = Math.max(open, price) * 1.01;
    copy.low[i] = Math.min(open, price) * 0.99;
  }
  return copy;
}

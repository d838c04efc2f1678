import type { OhlcvSeries } from '../data/bars';
import { mulberry32 } from '../random';

/** Options of {@link syntheticSeries}. */
export interface SyntheticOptions {
  bars: number;
  seed: number;
  /** AR(1) coefficient of one-bar log returns; 0 gives a random walk. */
  phi?: number;
  /** Standard deviation of the return innovations. Default 0.01. */
  sigma?: number;
  /** Mean one-bar log return. Default 0. */
  drift?: number;
  /** Bar length in ms. Default one day. */
  barMs?: number;
  startTime?: number;
}

/** Geometric series whose log returns follow r_t = drift + phi (r_{t−1} − drift) + sigma ε_t. */
export function syntheticSeries(options: SyntheticOptions): OhlcvSeries {
  const {
    bars,
    phi = 0,
    sigma = 0.01,
    drift = 0,
    barMs = 86_400_000,
    startTime = Date.UTC(2020, 0, 1),
  } = options;
  const rand = mulberry32(options.seed);
  const gauss = (): number => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const s = {
    time: new Float64Array(bars),
    open: new Float64Array(bars),
    high: new Float64Array(bars),
    low: new Float64Array(bars),
    close: new Float64Array(bars),
    volume: new Float64Array(bars),
  };
  let price = 100;
  let r = 0;
  for (let i = 0; i < bars; i++) {
    const open = price;
    r = drift + phi * (r - drift) + sigma * gauss();
    price = open * Math.exp(r);
    s.time[i] = startTime + i * barMs;
    s.open[i] = open;
    s.close[i] = price;
    s.high[i] = Math.max(open, price) * (1 + Math.abs(gauss()) * sigma * 0.5);
    s.low[i] = Math.min(open, price) * (1 - Math.abs(gauss()) * sigma * 0.5);
    s.volume[i] = 1000 + Math.floor(rand() * 1000);
  }
  return s;
}

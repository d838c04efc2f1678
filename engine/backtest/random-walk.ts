import { emptySeries, type OhlcvSeries } from '../data/bars';
import { mulberry32 } from '../random';

/** Options of {@link randomWalkSeries}. */
export interface RandomWalkOptions {
  bars: number;
  seed?: number;
  /** First bar time, epoch ms (default 2020-01-01T00:00Z). */
  start?: number;
  /** Bar spacing, ms (default one minute). */
  stepMs?: number;
  /** Per-bar log-return standard deviation (default 0.001). */
  volatility?: number;
  startPrice?: number;
}

/**
 * A seeded geometric random walk as OHLCV bars (for tests and benchmarks): each bar
 * opens at the previous close, closes after a normal log return, and its high/low
 * extend beyond open and close by a random fraction of the volatility.
 */
export function randomWalkSeries(o: RandomWalkOptions): OhlcvSeries {
  const n = o.bars;
  const rnd = mulberry32(o.seed ?? 42);
  const vol = o.volatility ?? 0.001;
  const step = o.stepMs ?? 60_000;
  const t0 = o.start ?? Date.UTC(2020, 0, 1);
  const s = emptySeries(n);
  let price = o.startPrice ?? 100;
  for (let i = 0; i < n; i++) {
    // Box–Muller from two uniforms.
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const open = price;
    const close = open * Math.exp(vol * z);
    const hi = Math.max(open, close) * (1 + vol * rnd());
    const lo = Math.min(open, close) * (1 - vol * rnd());
    s.time[i] = t0 + i * step;
    s.open[i] = open;
    s.high[i] = hi;
    s.low[i] = lo;
    s.close[i] = close;
    s.volume[i] = 1000 + Math.floor(rnd() * 9000);
    price = close;
  }
  return s;
}

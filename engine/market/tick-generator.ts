import { hashSeed, mulberry32 } from '../random';
import { type InstrumentSpec, roundToTick } from './catalog';
import { PriceProcess } from './price-process';

export type SimTick =
  | { type: 'trade'; symbol: string; sourceId: string; ts: number; price: number; size: number }
  | {
      type: 'quote';
      symbol: string;
      sourceId: string;
      ts: number;
      bid: number;
      bidSize: number;
      ask: number;
      askSize: number;
    };

/**
 * Live ticks for one instrument: quotes around the process price with a spread that widens
 * with volatility, and trades at bid or ask with sizes drawn around the instrument's typical size.
 * Deterministic for a given seed and sequence of `advance` calls.
 */
/**
 * Largest move of the quoted mid from one tick to the next. The process's rare jumps (news) are
 * walked through over several ticks instead, so the feed stays inside the ingest price band
 * (docs/market-data.md): a refused jump would leave the room's reference behind for good.
 */
const MAX_TICK_MOVE = 0.02;

export class TickGenerator {
  private readonly proc: PriceProcess;
  private readonly rand: () => number;
  private counter = 0;
  private mid: number;

  constructor(
    private readonly spec: InstrumentSpec,
    startPrice: number,
    seed: number,
    private readonly runId: string,
  ) {
    this.rand = mulberry32(seed ^ hashSeed(spec.symbol));
    this.proc = new PriceProcess(startPrice, { annualVol: spec.annualVol }, this.rand);
    this.mid = startPrice;
  }

  /** Ticks for the interval (from, to], about `intensity` events per second on average. */
  advance(from: number, to: number, intensity = 2): SimTick[] {
    const out: SimTick[] = [];
    let t = from;
    const volBoost = Math.min(3, this.proc.currentAnnualVol / this.spec.annualVol);
    const rate = intensity * volBoost;
    for (;;) {
      const gap = (-Math.log(1 - this.rand()) / rate) * 1000;
      if (t + gap > to) break;
      t += gap;
      const target = this.proc.step(gap / 1000);
      const mid = Math.min(this.mid * (1 + MAX_TICK_MOVE), Math.max(this.mid * (1 - MAX_TICK_MOVE), target));
      this.mid = mid;
      const ts = Math.floor(t);
      const spread =
        this.spec.tickSize *
        Math.max(1, Math.round(this.spec.spreadTicks * (0.7 + 0.6 * this.rand()) * volBoost));
      const bid = roundToTick(mid - spread / 2, this.spec.tickSize);
      const ask = Math.max(roundToTick(mid + spread / 2, this.spec.tickSize), bid + this.spec.tickSize);
      const askRounded = roundToTick(ask, this.spec.tickSize);
      const sid = () => `${this.runId}-${(this.counter++).toString(36)}`;
      if (this.rand() < 0.55) {
        out.push({
          type: 'quote',
          symbol: this.spec.symbol,
          sourceId: sid(),
          ts,
          bid,
          bidSize: this.size(),
          ask: askRounded,
          askSize: this.size(),
        });
      } else {
        out.push({
          type: 'trade',
          symbol: this.spec.symbol,
          sourceId: sid(),
          ts,
          price: this.rand() < 0.5 ? bid : askRounded,
          size: this.size(),
        });
      }
    }
    return out;
  }

  private size(): number {
    const lots = Math.max(
      1,
      Math.round((this.spec.tradeSize / this.spec.lotSize) * Math.exp(0.8 * (this.rand() - 0.5) * 2)),
    );
    return Number((lots * this.spec.lotSize).toPrecision(8));
  }
}

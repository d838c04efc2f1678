import { normal } from '../random';

const SECONDS_PER_YEAR = 365.25 * 24 * 3600;

export interface ProcessParams {
  /** Annualised volatility the process reverts to. */
  annualVol: number;
  /** GARCH(1,1) reaction to the last shock. */
  alpha?: number;
  /** Expected jumps per year. */
  jumpsPerYear?: number;
  /** Jump size in multiples of the daily volatility. */
  jumpScale?: number;
}

/**
 * Log-price random walk with GARCH(1,1) variance (volatility clusters: calm and busy spells)
 * and Poisson jumps (news). Time steps may vary, so the same process drives second-level ticks
 * and daily history; the variance recursion is scaled per second to stay consistent across step sizes.
 */
export class PriceProcess {
  private logPrice: number;
  /** Current variance per second. */
  private variance: number;
  private readonly targetVar: number;
  private readonly alpha: number;
  private readonly jumpRate: number;
  private readonly jumpScale: number;

  constructor(
    price: number,
    params: ProcessParams,
    private readonly rand: () => number,
  ) {
    this.logPrice = Math.log(price);
    this.targetVar = (params.annualVol * params.annualVol) / SECONDS_PER_YEAR;
    this.variance = this.targetVar;
    this.alpha = params.alpha ?? 0.08;
    this.jumpRate = (params.jumpsPerYear ?? 6) / SECONDS_PER_YEAR;
    this.jumpScale = params.jumpScale ?? 3;
  }

  get price(): number {
    return Math.exp(this.logPrice);
  }

  /** Annualised volatility right now (for spreads and trade intensity). */
  get currentAnnualVol(): number {
    return Math.sqrt(this.variance * SECONDS_PER_YEAR);
  }

  /** Advances `seconds` and returns the new price. */
  step(seconds: number): number {
    const sd = Math.sqrt(this.variance * seconds);
    const z = normal(this.rand);
    // Zero drift in log price: the median path is flat, as a laptop demo should be.
    let ret = sd * z;
    if (this.rand() < this.jumpRate * seconds) {
      const dailySd = Math.sqrt(this.targetVar * 86_400);
      ret += normal(this.rand) * dailySd * this.jumpScale;
    }
    this.logPrice += ret;
    // A GARCH(1,1)-like recursion in calendar time: the variance reverts to its target with a
    // ~12-day time constant and reacts to realised shocks with weight `alpha` per day, so
    // clustering looks the same whether steps are 15 seconds or one day.
    const shockVar = Math.min((ret * ret) / seconds, this.targetVar * 25);
    const revert = 1 - Math.exp(-seconds / (12 * 86_400));
    const react = Math.min(1, (this.alpha * seconds) / 86_400);
    this.variance += revert * (this.targetVar - this.variance) + react * (shockVar - this.variance);
    this.variance = Math.max(this.targetVar * 0.04, this.variance);
    return this.price;
  }
}

/**
 * Sanity bounds a tick must meet before a room sequences it. Pure: the room supplies its clock,
 * its last trade price and the configured limits (docs/market-data.md).
 */

/** Why a tick was refused; answered per tick in the ingest result. */
export type TickRejectCode =
  | 'too_late'
  | 'too_far_ahead'
  | 'invalid_price'
  | 'price_out_of_band'
  | 'invalid_size';

export interface TickRejection {
  code: TickRejectCode;
  reason: string;
}

export interface TickBounds {
  /** The room's clock (epoch ms). */
  now: number;
  /** A tick older than `now - maxLatenessMs` is refused `too_late`. */
  maxLatenessMs: number;
  /** A tick newer than `now + maxClockSkewMs` is refused `too_far_ahead`. */
  maxClockSkewMs: number;
  /** Last accepted trade price (the band's reference), or null before the first. */
  reference: number | null;
  /** Allowed distance from the reference, in percent of it. */
  bandPct: number;
}

/**
 * Absolute limits for any price, whatever the band: they bound a symbol's first trade (no
 * reference yet) and keep values like 5e-324 or 1.8e308 out of stored bars.
 */
export const PRICE_LIMITS = { min: 1e-9, max: 1e9 } as const;

type BoundedTick =
  | { type: 'trade'; ts: number; price: number; size: number }
  | { type: 'quote'; ts: number; bid: number; bidSize: number; ask: number; askSize: number };

/** The first bound a tick breaks, or null when it may be sequenced. */
export function checkTick(t: BoundedTick, b: TickBounds): TickRejection | null {
  if (!Number.isSafeInteger(t.ts) || t.ts > b.now + b.maxClockSkewMs) {
    return {
      code: 'too_far_ahead',
      reason: `ts is more than ${b.maxClockSkewMs} ms ahead of the server clock`,
    };
  }
  if (t.ts < b.now - b.maxLatenessMs) {
    return { code: 'too_late', reason: `ts is more than ${b.maxLatenessMs} ms behind the server clock` };
  }
  const prices = t.type === 'trade' ? { price: t.price } : { bid: t.bid, ask: t.ask };
  for (const [name, p] of Object.entries(prices)) {
    const broken = priceProblem(name, p, b);
    if (broken) return broken;
  }
  const sizes = t.type === 'trade' ? { size: t.size } : { bidSize: t.bidSize, askSize: t.askSize };
  for (const [name, s] of Object.entries(sizes)) {
    if (!Number.isFinite(s) || s <= 0)
      return { code: 'invalid_size', reason: `${name} must be finite and positive` };
  }
  return null;
}

function priceProblem(name: string, p: number, b: TickBounds): TickRejection | null {
  if (!Number.isFinite(p) || p < PRICE_LIMITS.min || p > PRICE_LIMITS.max) {
    return {
      code: 'invalid_price',
      reason: `${name} must be finite and within [${PRICE_LIMITS.min}, ${PRICE_LIMITS.max}]`,
    };
  }
  if (b.reference !== null) {
    const lo = b.reference * (1 - b.bandPct / 100);
    const hi = b.reference * (1 + b.bandPct / 100);
    if (p < lo || p > hi) {
      return {
        code: 'price_out_of_band',
        reason: `${name} ${p} is outside ±${b.bandPct}% of the last trade ${b.reference}`,
      };
    }
  }
  return null;
}

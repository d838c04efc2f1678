import { z } from 'zod';
import { PRICE_FIELDS } from '../sources';

/** Longest indicator window a rule may use. */
export const MAX_RULE_PERIOD = 1000;
/** Deepest all/any nesting allowed. */
export const MAX_RULE_DEPTH = 6;
/** Most comparisons in one rule set. */
export const MAX_RULE_COMPARISONS = 64;

const Period = z.number().int().min(1).max(MAX_RULE_PERIOD);
const Source = z.enum(PRICE_FIELDS).default('close');
const Shift = z.number().int().min(0).max(MAX_RULE_PERIOD).default(0);

/** An indicator over a price field: `{ "indicator": "sma", "source": "close", "period": 10 }`. */
const SourcedIndicator = z
  .object({
    indicator: z.enum(['sma', 'ema', 'wma', 'rsi', 'highest', 'lowest', 'std', 'zscore']),
    source: Source,
    period: Period,
    shift: Shift,
  })
  .strict();

const AtrIndicator = z
  .object({ indicator: z.literal('atr'), period: Period.default(14), shift: Shift })
  .strict();
const VwapIndicator = z
  .object({ indicator: z.literal('vwap'), period: Period.optional(), shift: Shift })
  .strict();
const BollingerIndicator = z
  .object({
    indicator: z.literal('bollinger'),
    band: z.enum(['upper', 'middle', 'lower']),
    source: Source,
    period: Period.default(20),
    stdDev: z.number().gt(0).max(10).default(2),
    shift: Shift,
  })
  .strict();
const MacdIndicator = z
  .object({
    indicator: z.literal('macd'),
    line: z.enum(['macd', 'signal', 'histogram']).default('macd'),
    source: Source,
    fast: Period.default(12),
    slow: Period.default(26),
    signal: Period.default(9),
    shift: Shift,
  })
  .strict();
const StochasticIndicator = z
  .object({
    indicator: z.literal('stochastic'),
    line: z.enum(['k', 'd']).default('k'),
    period: Period.default(14),
    signalPeriod: Period.default(3),
    shift: Shift,
  })
  .strict();

/** An indicator expression. */
export const IndicatorExpr = z.discriminatedUnion('indicator', [
  SourcedIndicator,
  AtrIndicator,
  VwapIndicator,
  BollingerIndicator,
  MacdIndicator,
  StochasticIndicator,
]);
export type IndicatorExpr = z.infer<typeof IndicatorExpr>;

/** A price field, optionally from `shift` bars earlier: `{ "price": "close" }`. */
export const PriceExpr = z.object({ price: z.enum(PRICE_FIELDS), shift: Shift }).strict();
export type PriceExpr = z.infer<typeof PriceExpr>;

/** A constant: a bare number or `{ "const": 70 }`. */
export const ConstExpr = z.union([z.number().finite(), z.object({ const: z.number().finite() }).strict()]);
export type ConstExpr = z.infer<typeof ConstExpr>;

/** Any value operand of a comparison. */
export const RuleExpr = z.union([ConstExpr, PriceExpr, IndicatorExpr]);
export type RuleExpr = z.infer<typeof RuleExpr>;

/** Comparison operators; crosses are strict on both bars, as backtesting.py's `crossover`. */
export const RuleOperator = z.enum(['crossesAbove', 'crossesBelow', '>', '<', '>=', '<=']);
export type RuleOperator = z.infer<typeof RuleOperator>;

/** `{ "left": …, "op": ">", "right": … }` */
export const RuleComparison = z.object({ left: RuleExpr, op: RuleOperator, right: RuleExpr }).strict();
export type RuleComparison = z.infer<typeof RuleComparison>;

/** A comparison, or `{ "all": [...] }` (and) / `{ "any": [...] }` (or) of conditions. */
export type RuleCondition = RuleComparison | { all: RuleCondition[] } | { any: RuleCondition[] };
export const RuleCondition: z.ZodType<RuleCondition> = z.lazy(() =>
  z.union([
    RuleComparison,
    z.object({ all: z.array(RuleCondition).min(1).max(16) }).strict(),
    z.object({ any: z.array(RuleCondition).min(1).max(16) }).strict(),
  ]),
);

const Side = z.object({ entry: RuleCondition, exit: RuleCondition.optional() }).strict();

/** Depth and comparison count of a condition tree. */
export function conditionSize(c: RuleCondition, depth = 1): { depth: number; comparisons: number } {
  const kids = 'all' in c ? c.all : 'any' in c ? c.any : null;
  if (kids === null) return { depth, comparisons: 1 };
  let d = depth;
  let n = 0;
  for (const k of kids) {
    const s = conditionSize(k, depth + 1);
    d = Math.max(d, s.depth);
    n += s.comparisons;
  }
  return { depth: d, comparisons: n };
}

/**
 * A user strategy as data: entry and optional exit conditions for the long and/or short
 * side. A long entry while short reverses; an exit closes only its own side.
 */
export const RuleSet = z
  .object({ long: Side.optional(), short: Side.optional() })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.long && !r.short)
      ctx.addIssue({ code: 'custom', message: 'a rule set needs a long or a short side' });
    let comparisons = 0;
    for (const [side, s] of [
      ['long', r.long],
      ['short', r.short],
    ] as const) {
      if (!s) continue;
      for (const which of ['entry', 'exit'] as const) {
        const c = s[which];
        if (!c) continue;
        const size = conditionSize(c);
        comparisons += size.comparisons;
        if (size.depth > MAX_RULE_DEPTH) {
          ctx.addIssue({
            code: 'custom',
            path: [side, which],
            message: `nesting deeper than ${MAX_RULE_DEPTH}`,
          });
        }
      }
    }
    if (comparisons > MAX_RULE_COMPARISONS) {
      ctx.addIssue({ code: 'custom', message: `more than ${MAX_RULE_COMPARISONS} comparisons` });
    }
  });
export type RuleSet = z.infer<typeof RuleSet>;

import { z } from 'zod';
import { STAT_KEYS } from '../stats/types';
import { getStrategy, StrategyNameSchema } from '../strategies/registry';
import { RuleSet } from '../strategies/rules/schema';

/**
 * Commission: a fraction of traded value (0.002 = 0.2 %) charged at entry and at exit,
 * or a fixed amount per fill plus such a fraction.
 */
export const Commission = z.union([
  z.number().min(-0.1).lt(0.1),
  z.object({ fixed: z.number().min(0).max(1e9), relative: z.number().min(-0.1).lt(0.1).default(0) }).strict(),
]);
export type Commission = z.infer<typeof Commission>;

/**
 * Entry size: `"all-in"` (backtesting.py's default, 1 − 2⁻⁵² of available margin in
 * whole units), a fraction of available margin, or a fixed number of units.
 */
export const OrderSize = z.union([
  z.literal('all-in'),
  z.object({ fraction: z.number().gt(0).lt(1) }).strict(),
  z.object({ units: z.number().int().min(1).max(1e12) }).strict(),
]);
export type OrderSize = z.infer<typeof OrderSize>;

/** Entry order type; limit and stop prices sit `offset` (a fraction) from the signal close. */
export const EntryOrder = z
  .object({
    type: z.enum(['market', 'limit', 'stop']).default('market'),
    offset: z.number().min(0).lt(1).default(0),
  })
  .strict();
export type EntryOrder = z.infer<typeof EntryOrder>;

/** A built-in strategy by name with its parameters (validated against its own schema). */
export const NamedStrategy = z
  .object({ name: StrategyNameSchema, params: z.record(z.string(), z.unknown()).default({}) })
  .strict();

/** Which strategy to run: a built-in by name, or a declarative rule set. */
export const StrategySpec = z.union([NamedStrategy, z.object({ rules: RuleSet }).strict()]);
export type StrategySpec = z.infer<typeof StrategySpec>;

/** Execution settings shared by single runs and sweeps. */
export const ExecutionOptions = z
  .object({
    cash: z.number().gt(0).max(1e12).default(10_000),
    commission: Commission.default(0),
    /** Bid-ask spread as a fraction: entries fill that much worse. */
    spread: z.number().min(0).lt(0.1).default(0),
    /** Required margin ratio; 1 = no leverage, 0.02 = 50:1. */
    margin: z.number().gt(0).max(1).default(1),
    /** Fill market orders at the signal bar's close instead of the next bar's open. */
    tradeOnClose: z.boolean().default(false),
    /** Close trades still open at the end (at the last bar's open) so they count in the statistics. */
    finalizeTrades: z.boolean().default(false),
    size: OrderSize.default('all-in'),
    /** Stop-loss distance from the entry reference price, as a fraction (0.05 = 5 %). */
    stopLoss: z.number().gt(0).lt(1).optional(),
    /** Take-profit distance from the entry reference price, as a fraction. */
    takeProfit: z.number().gt(0).max(100).optional(),
    entryOrder: EntryOrder.default({ type: 'market', offset: 0 }),
  })
  .strict();
export type ExecutionOptions = z.infer<typeof ExecutionOptions>;

function checkParams(spec: StrategySpec, ctx: z.RefinementCtx, path: (string | number)[]): void {
  if (!('name' in spec)) return;
  const def = getStrategy(spec.name);
  if (!def) return;
  const r = def.params.safeParse(spec.params);
  if (!r.success) {
    for (const issue of r.error.issues) {
      ctx.addIssue({
        code: 'custom',
        message: issue.message,
        path: [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      });
    }
  }
}

/** The JSON body of a backtest request (the series comes from elsewhere). */
export const BacktestOptions = ExecutionOptions.extend({ strategy: StrategySpec }).superRefine((o, ctx) =>
  checkParams(o.strategy, ctx, ['strategy', 'params']),
);
export type BacktestOptions = z.infer<typeof BacktestOptions>;
export type BacktestOptionsInput = z.input<typeof BacktestOptions>;

/** Numeric statistic names a sweep can be ranked by. */
export const RankableStat = z.enum(
  STAT_KEYS.filter((k) => k !== 'Start' && k !== 'End') as [string, ...string[]],
);

/** Largest parameter grid a sweep accepts. */
export const MAX_SWEEP_COMBINATIONS = 10_000;

/** A parameter sweep of one built-in strategy. */
export const SweepOptions = ExecutionOptions.extend({
  strategy: StrategyNameSchema,
  /** Values to try per parameter; the grid is their cartesian product. */
  grid: z.record(
    z.string(),
    z
      .array(z.union([z.number(), z.boolean()]))
      .min(1)
      .max(1000),
  ),
  rankBy: RankableStat.default('Return [%]'),
  order: z.enum(['desc', 'asc']).default('desc'),
  /** Results returned (all when absent). */
  limit: z.number().int().min(1).max(MAX_SWEEP_COMBINATIONS).optional(),
}).superRefine((o, ctx) => {
  let combos = 1;
  for (const v of Object.values(o.grid)) combos *= v.length;
  if (combos > MAX_SWEEP_COMBINATIONS) {
    ctx.addIssue({
      code: 'custom',
      path: ['grid'],
      message: `grid has ${combos} combinations, more than ${MAX_SWEEP_COMBINATIONS}`,
    });
  }
});
export type SweepOptions = z.infer<typeof SweepOptions>;
export type SweepOptionsInput = z.input<typeof SweepOptions>;

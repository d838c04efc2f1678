import { z } from '@hono/zod-openapi';
import { BacktestOptions, ExecutionOptions, RankableStat } from '../../engine/backtest/contracts';
import { parameterSchemas, StrategyNameSchema } from '../../engine/strategies/registry';
import { RuleCondition } from '../../engine/strategies/rules/schema';
import { Instant, SymbolCode, Timeframe } from './common';
import { Bar } from './market';

// The rule grammar is recursive (all/any nest): naming the lazy schema lets the OpenAPI
// generator emit a $ref instead of recursing forever.
RuleCondition.openapi('RuleCondition');

/** Inline bars a request may carry; larger series must be stored first (ingest) and referenced. */
export const MAX_INLINE_REQUEST_BARS = 20_000;
/** Largest parameter grid of a sweep; the product is checked before anything is stored. */
export const MAX_SWEEP_GRID = 500;
/** Points of the equity curve kept with a result (charts ask for fewer). */
export const MAX_EQUITY_POINTS = 2_000;

/** Bars stored on the platform: a symbol's timeframe over an optional [from, to] range. */
export const StoredBarsSource = z
  .object({
    symbol: SymbolCode,
    timeframe: Timeframe.default('1d'),
    from: Instant.optional(),
    to: Instant.optional(),
  })
  .strict()
  .refine((d) => d.from === undefined || d.to === undefined || d.from <= d.to, {
    message: '`from` must not be after `to`.',
    path: ['from'],
  });
export type StoredBarsSource = z.infer<typeof StoredBarsSource>;

/** Bars sent with the request, oldest first with strictly increasing times. */
export const InlineBarsSource = z
  .object({ bars: z.array(Bar).min(1).max(MAX_INLINE_REQUEST_BARS) })
  .strict()
  .superRefine((d, ctx) => {
    for (let i = 0; i < d.bars.length; i++) {
      const b = d.bars[i];
      const prev = d.bars[i - 1];
      if (!b) continue;
      if (prev && b.t <= prev.t) {
        ctx.addIssue({
          code: 'custom',
          path: ['bars', i, 't'],
          message: 'bar times must be strictly increasing',
        });
        return;
      }
      if (![b.o, b.h, b.l, b.c, b.v].every(Number.isFinite)) {
        ctx.addIssue({ code: 'custom', path: ['bars', i], message: 'bar values must be finite numbers' });
        return;
      }
    }
  });
export type InlineBarsSource = z.infer<typeof InlineBarsSource>;

/** Where a backtest's bars come from. */
export const BacktestData = z.union([StoredBarsSource, InlineBarsSource]).openapi({
  description:
    'Either `{ symbol, timeframe, from?, to? }` (stored bars) or `{ bars: [{ t, o, h, l, c, v }] }`.',
});
export type BacktestData = z.infer<typeof BacktestData>;

/**
 * `POST /api/v1/backtests`: the engine's own options schema (strategy with its parameters
 * checked against the registry, cash, commission…) plus the data. `safeExtend` keeps the
 * engine's parameter refinement.
 */
export const BacktestRequest = BacktestOptions.safeExtend({
  data: BacktestData,
  /** Points of the equity curve in an inline answer. */
  equityPoints: z.number().int().min(2).max(MAX_EQUITY_POINTS).default(500),
}).openapi('BacktestRequest');
export type BacktestRequest = z.infer<typeof BacktestRequest>;

/** `POST /api/v1/backtests/sweeps`: a built-in strategy over a parameter grid. */
export const SweepRequest = ExecutionOptions.extend({
  strategy: StrategyNameSchema,
  grid: z
    .record(
      z.string().max(64),
      z
        .array(z.union([z.number(), z.boolean()]))
        .min(1)
        .max(MAX_SWEEP_GRID),
    )
    .refine((g) => Object.keys(g).length > 0 && Object.keys(g).length <= 16, 'grid needs 1–16 parameters'),
  rankBy: RankableStat.default('Return [%]'),
  order: z.enum(['desc', 'asc']).default('desc'),
  data: BacktestData,
})
  .superRefine(checkGrid)
  .openapi('SweepRequest');
export type SweepRequest = z.infer<typeof SweepRequest>;

/**
 * Every grid key must be a parameter of the strategy and every value valid for it on its own
 * (type and range); rules relating parameters (fast < slow) only skip combinations.
 */
function checkGrid(
  req: { strategy: string; grid: Record<string, Array<number | boolean>> },
  ctx: z.RefinementCtx,
) {
  const params = parameterSchemas(req.strategy);
  if (!params) return;
  for (const [name, values] of Object.entries(req.grid)) {
    const schema = Object.hasOwn(params, name) ? params[name] : undefined;
    if (!schema) {
      const known = Object.keys(params);
      ctx.addIssue({
        code: 'custom',
        path: ['grid', name],
        message: known.length
          ? `${req.strategy} has no parameter "${name}" (it has ${known.join(', ')})`
          : `${req.strategy} takes no parameters`,
      });
      continue;
    }
    for (let i = 0; i < values.length; i++) {
      const r = schema.safeParse(values[i]);
      if (!r.success) {
        ctx.addIssue({
          code: 'custom',
          path: ['grid', name, i],
          message: r.error.issues[0]?.message ?? 'invalid value',
        });
        break;
      }
    }
  }
}

/** A Queue message of `skippy-backtests` (and its dead-letter queue): one job or one sweep chunk. */
export const BacktestMessage = z.union([
  z.object({ jobId: z.string().min(1).max(64), traceId: z.string().max(64).optional() }).strict(),
  z
    .object({
      sweepId: z.string().min(1).max(64),
      chunk: z.number().int().min(0).max(MAX_SWEEP_GRID),
      traceId: z.string().max(64).optional(),
    })
    .strict(),
]);
export type BacktestMessage = z.infer<typeof BacktestMessage>;

export const BacktestStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type BacktestStatus = z.infer<typeof BacktestStatus>;

/** A statistic as JSON: NaN and ±∞ are null. */
export const StatsJson = z.record(z.string(), z.union([z.number(), z.string(), z.null()]));
export type StatsJson = z.infer<typeof StatsJson>;

/** A closed trade as stored and served (times ISO-8601). */
export const TradeJson = z.object({
  size: z.number(),
  entryBar: z.number().int(),
  exitBar: z.number().int(),
  entryPrice: z.number(),
  exitPrice: z.number(),
  pnl: z.number().nullable(),
  commission: z.number(),
  returnPct: z.number().nullable(),
  entryTime: z.string(),
  exitTime: z.string(),
  sl: z.number().nullable(),
  tp: z.number().nullable(),
});
export type TradeJson = z.infer<typeof TradeJson>;

/** Equity curve for charts: bar times (epoch ms) and equity values. */
export const EquityCurve = z.object({ t: z.array(z.number()), v: z.array(z.number().nullable()) });
export type EquityCurve = z.infer<typeof EquityCurve>;

/** A job as `GET /api/v1/backtests/:id` shows it. */
export const BacktestJob = z
  .object({
    id: z.string(),
    status: BacktestStatus,
    mode: z.enum(['inline', 'queued']),
    cached: z.boolean(),
    progress: z.number().min(0).max(1),
    attempts: z.number().int(),
    bars: z.number().int().nullable(),
    strategy: z.string().openapi({ description: 'Strategy name, or `rules` for a rule set.' }),
    contentHash: z.string(),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    stats: StatsJson.nullable(),
    tradeCount: z.number().int().nullable(),
    links: z.object({ self: z.string(), trades: z.string(), equity: z.string() }),
  })
  .openapi('BacktestJob');
export type BacktestJob = z.infer<typeof BacktestJob>;

/** An inline answer: the job plus the result's first trades and a chart-sized equity curve. */
export const BacktestRunResponse = BacktestJob.extend({
  engineVersion: z.string(),
  trades: z.array(TradeJson),
  tradesTruncated: z.boolean(),
  openTrades: z.array(z.record(z.string(), z.unknown())),
  equity: EquityCurve,
  traceId: z.string(),
}).openapi('BacktestRunResponse');
export type BacktestRunResponse = z.infer<typeof BacktestRunResponse>;

export const BacktestIdParam = z.object({
  id: z
    .string()
    .regex(/^bt_[A-Za-z0-9_-]{1,40}$/)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'bt_mf3k2a1bXyZ' }),
});
export const SweepIdParam = z.object({
  id: z
    .string()
    .regex(/^sw_[A-Za-z0-9_-]{1,40}$/)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'sw_mf3k2a1bXyZ' }),
});

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export const EquityQuery = z.object({
  points: z.coerce.number().int().min(2).max(MAX_EQUITY_POINTS).default(500),
});

export const TradesPage = z
  .object({ data: z.array(TradeJson), total: z.number().int(), nextCursor: z.string().nullable() })
  .openapi('BacktestTradesPage');
export const EquityResponse = z
  .object({ id: z.string(), points: z.number().int(), equity: EquityCurve })
  .openapi('BacktestEquity');
export const JobList = z
  .object({ data: z.array(BacktestJob), nextCursor: z.string().nullable() })
  .openapi('BacktestJobList');

export const SweepRow = z.object({
  params: z.record(z.string(), z.union([z.number(), z.boolean()])),
  stats: StatsJson,
});
export type SweepRow = z.infer<typeof SweepRow>;
/** Stored rows of one sweep chunk (read back from D1 and parsed). */
export const SweepChunkRows = z.array(SweepRow);

export const SweepViewQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_SWEEP_GRID).default(20),
});

/** What a sweep is, without its results: the list item and the base of the full view. */
const SweepFields = z.object({
  id: z.string(),
  status: BacktestStatus,
  strategy: z.string(),
  rankBy: z.string(),
  order: z.enum(['desc', 'asc']),
  combinations: z.number().int(),
  chunks: z.number().int(),
  chunksDone: z.number().int(),
  progress: z.number().min(0).max(1),
  evaluated: z.number().int(),
  skipped: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});

/** A sweep with its results so far, ranked by its statistic (`GET`/`DELETE /sweeps/:id`). */
export const SweepView = SweepFields.extend({
  results: z.array(SweepRow.extend({ rank: z.number().int() })),
}).openapi('Sweep');
export type SweepView = z.infer<typeof SweepView>;

/** One sweep of `GET /api/v1/backtests/sweeps`: its progress, not its results. */
export const SweepSummary = SweepFields.extend({
  links: z.object({ self: z.string() }),
}).openapi('SweepSummary');
export type SweepSummary = z.infer<typeof SweepSummary>;

export const SweepList = z
  .object({ data: z.array(SweepSummary), nextCursor: z.string().nullable() })
  .openapi('SweepList');

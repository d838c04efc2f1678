import type { OhlcvSeries } from '../data/bars';
import { computeStats } from '../stats/compute-stats';
import { statsContext } from '../stats/context';
import { IndicatorCache } from '../strategies/indicator-cache';
import { getStrategy } from '../strategies/registry';
import { compileRules } from '../strategies/rules/compile';
import { RuleSet } from '../strategies/rules/schema';
import { fromTargets } from '../strategies/targets';
import type { CompiledStrategy } from '../strategies/types';
import type { Trade } from './broker';
import { ExecutionOptions } from './contracts';
import { BacktestInputError, toIssues } from './errors';
import { type EntrySettings, FULL_EQUITY, simulate } from './simulate';
import type { TradeLog } from './trade-log';
import type { BacktestResult, ClosedTrade, OpenTrade, RunBacktestInput, RunStrategy } from './types';
import { ENGINE_VERSION } from './version';

/**
 * Runs one backtest with backtesting.py 0.6.6's semantics and returns its statistics,
 * trades and equity curve.
 * @throws {BacktestInputError} on an unknown strategy or invalid parameters/options.
 */
export function runBacktest(input: RunBacktestInput): BacktestResult {
  const { series, strategy, onProgress, progressEvery, equityOut, drawdownOut, ...rest } = input;
  const n = series.close.length;
  if (n === 0) throw new BacktestInputError('the series is empty');
  const opts = parseExecution(rest);
  const equity = equityOut ?? new Float64Array(n);
  const drawdownArr = drawdownOut ?? new Float64Array(n);
  // The indicators only live until the signals are compiled: they borrow the result's
  // equity and drawdown arrays, which are written only after that.
  const compiled = compileStrategy(series, strategy, new IndicatorCache(series, [equity, drawdownArr]));
  const sim = simulate({
    series,
    signals: compiled.signals,
    warmup: compiled.warmup,
    broker: brokerConfig(opts),
    entry: entrySettings(opts),
    finalizeTrades: opts.finalizeTrades,
    equityOut: equity,
    ...(onProgress ? { onProgress } : {}),
    ...(progressEvery !== undefined ? { progressEvery } : {}),
  });
  const warmup = Math.min(compiled.warmup, n - 1);
  const { stats, drawdown } = computeStats({
    ctx: statsContext(series),
    equity: sim.equity,
    trades: sim.closed,
    warmup,
    drawdownOut: drawdownArr,
  });
  const log = sim.closed;
  let trades: ClosedTrade[] | undefined;
  return {
    engineVersion: ENGINE_VERSION,
    stats,
    // Built on first read: a sweep or a benchmark that only needs the statistics
    // never materialises one object per trade.
    get trades(): ClosedTrade[] {
      trades ??= closedTrades(log, series);
      return trades;
    },
    openTrades: sim.open.map((t) => openTrade(t, series)),
    equity: sim.equity,
    drawdown,
    warmup: compiled.warmup,
  };
}

/** Validates execution options (defaults applied). */
export function parseExecution(raw: unknown): ExecutionOptions {
  const r = ExecutionOptions.safeParse(raw);
  if (!r.success) throw new BacktestInputError('invalid backtest options', toIssues(r.error.issues));
  return r.data;
}

/** Resolves and compiles any strategy form against a series. */
export function compileStrategy(
  series: OhlcvSeries,
  strategy: RunStrategy | RunBacktestInput['strategy'],
  cache = new IndicatorCache(series),
  signals?: Uint8Array,
): CompiledStrategy {
  if ('compiled' in strategy) {
    if (strategy.compiled.signals.length !== series.close.length) {
      throw new BacktestInputError('compiled strategy length differs from the series');
    }
    return strategy.compiled;
  }
  if ('targets' in strategy) {
    if (strategy.targets.length !== series.close.length) {
      throw new BacktestInputError('targets length differs from the series');
    }
    return fromTargets(strategy.targets, strategy.warmup ?? 0, signals);
  }
  if ('rules' in strategy) {
    const r = RuleSet.safeParse(strategy.rules);
    if (!r.success)
      throw new BacktestInputError('invalid rule set', toIssues(r.error.issues, ['strategy', 'rules']));
    return compileRules(series, r.data, cache, signals);
  }
  const def = getStrategy(strategy.name);
  if (!def)
    throw new BacktestInputError(`unknown strategy "${strategy.name}"`, [
      { path: ['strategy', 'name'], message: 'unknown strategy' },
    ]);
  const p = def.params.safeParse(strategy.params ?? {});
  if (!p.success) {
    throw new BacktestInputError(
      `invalid parameters for ${strategy.name}: ${p.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`,
      toIssues(p.error.issues, ['strategy', 'params']),
    );
  }
  return def.compile(series, p.data, cache, signals);
}

/** Broker settings from validated options. */
export function brokerConfig(o: ExecutionOptions) {
  const c = o.commission;
  return {
    cash: o.cash,
    commissionFixed: typeof c === 'number' ? 0 : c.fixed,
    commissionRelative: typeof c === 'number' ? c : c.relative,
    spread: o.spread,
    margin: o.margin,
    tradeOnClose: o.tradeOnClose,
  };
}

/** Entry settings from validated options. */
export function entrySettings(o: ExecutionOptions): EntrySettings {
  const s = o.size;
  return {
    size: s === 'all-in' ? FULL_EQUITY : 'fraction' in s ? s.fraction : s.units,
    stopLoss: o.stopLoss ?? Number.NaN,
    takeProfit: o.takeProfit ?? Number.NaN,
    orderType: o.entryOrder.type === 'market' ? 0 : o.entryOrder.type === 'limit' ? 1 : 2,
    orderOffset: o.entryOrder.offset,
  };
}

/** Trade records from a trade log. */
export function closedTrades(log: TradeLog, s: OhlcvSeries): ClosedTrade[] {
  const out: ClosedTrade[] = new Array(log.count);
  for (let k = 0; k < log.count; k++) {
    const entryBar = log.entryBar[k]!;
    const exitBar = log.exitBar[k]!;
    const sl = log.sl[k]!;
    const tp = log.tp[k]!;
    out[k] = {
      size: log.size[k]!,
      entryBar,
      exitBar,
      entryPrice: log.entryPrice[k]!,
      exitPrice: log.exitPrice[k]!,
      pnl: log.pnl[k]!,
      commission: log.commission[k]!,
      returnPct: log.returnPct[k]!,
      entryTime: s.time[entryBar]!,
      exitTime: s.time[exitBar]!,
      sl: Number.isNaN(sl) ? null : sl,
      tp: Number.isNaN(tp) ? null : tp,
    };
  }
  return out;
}

function openTrade(t: Trade, s: OhlcvSeries): OpenTrade {
  const mark = s.close[s.close.length - 1]!;
  return {
    size: t.size,
    entryBar: t.entryBar,
    entryPrice: t.entryPrice,
    pnl: t.size * (mark - t.entryPrice) - t.commissions,
    commission: t.commissions,
    returnPct:
      Math.sign(t.size) * (mark / t.entryPrice - 1) - t.commissions / (Math.abs(t.size) * t.entryPrice),
    entryTime: s.time[t.entryBar]!,
    markPrice: mark,
    entryCommissionCharged: t.entryCommission,
    sl: !Number.isNaN(t.sl) ? t.sl : null,
    tp: !Number.isNaN(t.tp) ? t.tp : null,
  };
}

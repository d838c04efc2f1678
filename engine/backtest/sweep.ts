import type { OhlcvSeries } from '../data/bars';
import { computeStats } from '../stats/compute-stats';
import { statsContext } from '../stats/context';
import type { BacktestStats, NumericStatKey } from '../stats/types';
import { IndicatorCache } from '../strategies/indicator-cache';
import { getStrategy } from '../strategies/registry';
import type { ExecutionOptions } from './contracts';
import { MAX_SWEEP_COMBINATIONS } from './contracts';
import { BacktestInputError } from './errors';
import { brokerConfig, entrySettings, parseExecution } from './run-backtest';
import { simulate } from './simulate';

/** Values to try per parameter; the sweep runs their cartesian product. */
export type ParamGrid = Record<string, readonly (number | boolean)[]>;

/** One evaluated combination. */
export interface SweepRow {
  params: Record<string, unknown>;
  stats: BacktestStats;
}

/** Ranked sweep results. */
export interface SweepResult {
  strategy: string;
  rankBy: NumericStatKey;
  order: 'desc' | 'asc';
  /** Best first; NaN-ranked rows last. */
  results: SweepRow[];
  /** Combinations run. */
  evaluated: number;
  /** Combinations rejected by the strategy's parameter schema (e.g. fast ≥ slow). */
  skipped: number;
  /** evaluated × bars. */
  barEvaluations: number;
}

/**
 * Sorts sweep rows best first by `rankBy`, in place; the one ranking of inline sweeps and of queued
 * sweeps read back from storage. A statistic that is not a finite number (NaN, ±Infinity, or the
 * `null` they are stored as) ranks last: stored rows cannot tell those apart, so ranking them as
 * numbers here would order an inline sweep differently from the same sweep queued. Ties keep
 * their grid order (the sort is stable).
 */
export function rankSweepRows<R extends { stats: object }>(
  rows: R[],
  rankBy: string,
  order: 'desc' | 'asc',
): R[] {
  const sign = order === 'desc' ? -1 : 1;
  const key = (r: R): number | null => {
    const v = (r.stats as Record<string, unknown>)[rankBy];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null) return y === null ? 0 : 1;
    if (y === null) return -1;
    return sign * (x - y);
  });
}

/** Options of {@link runSweep} beyond the grid. */
export interface SweepRunOptions extends Partial<ExecutionOptions> {
  order?: 'desc' | 'asc';
  limit?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every parameter combination of a built-in strategy on one series and ranks them
 * by a statistic. Indicator arrays are computed once per distinct indicator across the
 * grid, and the signal, equity and drawdown arrays are reused between runs.
 */
export function runSweep(
  series: OhlcvSeries,
  strategyName: string,
  grid: ParamGrid,
  rankBy: NumericStatKey = 'Return [%]',
  options: SweepRunOptions = {},
): SweepResult {
  const def = getStrategy(strategyName);
  if (!def) throw new BacktestInputError(`unknown strategy "${strategyName}"`);
  const { order = 'desc', limit, onProgress, ...exec } = options;
  const opts = parseExecution(exec);
  const combos = cartesian(grid);
  if (combos.length > MAX_SWEEP_COMBINATIONS) {
    throw new BacktestInputError(
      `grid has ${combos.length} combinations, more than ${MAX_SWEEP_COMBINATIONS}`,
    );
  }
  const n = series.close.length;
  if (n === 0) throw new BacktestInputError('the series is empty');
  const cache = new IndicatorCache(series);
  const ctx = statsContext(series);
  const signals = new Uint8Array(n);
  const equity = new Float64Array(n);
  const drawdown = new Float64Array(n);
  const broker = brokerConfig(opts);
  const entry = entrySettings(opts);
  const rows: SweepRow[] = [];
  let skipped = 0;
  combos.forEach((raw, k) => {
    const p = def.params.safeParse(raw);
    if (!p.success) {
      skipped++;
    } else {
      const compiled = def.compile(series, p.data, cache, signals);
      const sim = simulate({
        series,
        signals: compiled.signals,
        warmup: compiled.warmup,
        broker,
        entry,
        finalizeTrades: opts.finalizeTrades,
        equityOut: equity,
      });
      const { stats } = computeStats({
        ctx,
        equity: sim.equity,
        trades: sim.closed,
        warmup: Math.min(compiled.warmup, n - 1),
        drawdownOut: drawdown,
      });
      rows.push({ params: raw, stats });
    }
    onProgress?.(k + 1, combos.length);
  });
  rankSweepRows(rows, rankBy, order);
  return {
    strategy: strategyName,
    rankBy,
    order,
    results: limit === undefined ? rows : rows.slice(0, limit),
    evaluated: rows.length,
    skipped,
    barEvaluations: rows.length * n,
  };
}

/** Cartesian product of a grid, as parameter objects (keys in grid order). */
export function cartesian(grid: ParamGrid): Record<string, number | boolean>[] {
  let out: Record<string, number | boolean>[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    if (values.length === 0) throw new BacktestInputError(`grid parameter "${name}" has no values`);
    const next: Record<string, number | boolean>[] = [];
    for (const base of out) for (const v of values) next.push({ ...base, [name]: v });
    out = next;
    if (out.length > MAX_SWEEP_COMBINATIONS) break;
  }
  return out;
}

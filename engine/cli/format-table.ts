import type { BacktestStats } from '../stats/types';
import { DURATION_KEYS, STAT_KEYS, type StatKey } from '../stats/types';

/** A duration in days as pandas prints a Timedelta: `3116 days 00:00:00`. */
export function formatDays(days: number): string {
  if (!Number.isFinite(days)) return 'NaN';
  const totalSeconds = Math.round(days * 86_400);
  const d = Math.floor(totalSeconds / 86_400);
  const rest = totalSeconds - d * 86_400;
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
  const ss = String(rest % 60).padStart(2, '0');
  return `${d} days ${hh}:${mm}:${ss}`;
}

function formatValue(key: StatKey, v: string | number): string {
  if (typeof v === 'string') return v.replace('T', ' ');
  if (DURATION_KEYS.has(key)) return formatDays(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (key === '# Trades') return String(v);
  return v.toFixed(5);
}

/**
 * The statistics as backtesting.py prints its result Series: names left-aligned, values
 * right-aligned in one column, floats with 5 decimals, durations as Timedeltas.
 */
export function formatStatsTable(stats: BacktestStats): string {
  const rows: [string, string][] = [];
  for (const key of STAT_KEYS) {
    const v = stats[key];
    if (v !== undefined) rows.push([key, formatValue(key, v)]);
  }
  const kw = Math.max(...rows.map(([k]) => k.length));
  const vw = Math.max(...rows.map(([, v]) => v.length));
  return rows.map(([k, v]) => `${k.padEnd(kw)}  ${v.padStart(vw)}`).join('\n');
}

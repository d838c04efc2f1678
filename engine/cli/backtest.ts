/**
 * Command-line backtest over a CSV file:
 *
 *   npm run backtest -- --csv FILE --strategy sma-cross --param fast=10 --param slow=20 \
 *     --cash 10000 --commission 0.002 [--trade-on-close] [--finalize-trades] [--json]
 *
 * Prints the statistics table, or with --json `{ stats, trades }`. Any problem ends
 * with a one-line message on stderr and exit code 1 (2 for bad arguments).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StrategySpec } from '../backtest/contracts';
import { runBacktest } from '../backtest/run-backtest';
import { statsToJson, tradeToJson } from '../backtest/serialize';
import type { RunBacktestInput } from '../backtest/types';
import { parseOhlcvCsv } from '../data/csv';
import { getStrategy, STRATEGY_NAMES } from '../strategies/registry';
import { formatStatsTable } from './format-table';

class UsageError extends Error {}

const USAGE =
  'usage: backtest --csv FILE [--strategy NAME | --rules FILE.json] [--param k=v]... [--cash N] ' +
  '[--commission F] [--spread F] [--margin F] [--size all-in|F|N] [--stop-loss F] [--take-profit F] ' +
  '[--trade-on-close] [--finalize-trades] [--json]';

function num(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number, got "${raw}"`);
  return v;
}

function paramValue(raw: string): number | boolean | string {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  const v = Number(raw);
  return raw.trim() !== '' && Number.isFinite(v) ? v : raw;
}

function sizeOption(raw: string | undefined): RunBacktestInput['size'] {
  if (raw === undefined || raw === 'all-in') return 'all-in';
  const v = num('size', raw)!;
  return v > 0 && v < 1 ? { fraction: v } : { units: v };
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export function main(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        csv: { type: 'string' },
        strategy: { type: 'string', default: 'sma-cross' },
        rules: { type: 'string' },
        param: { type: 'string', multiple: true, default: [] },
        cash: { type: 'string' },
        commission: { type: 'string' },
        spread: { type: 'string' },
        margin: { type: 'string' },
        size: { type: 'string' },
        'stop-loss': { type: 'string' },
        'take-profit': { type: 'string' },
        'trade-on-close': { type: 'boolean', default: false },
        'finalize-trades': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    if (!values.csv) throw new UsageError('--csv FILE is required');
    const params: Record<string, unknown> = {};
    for (const p of values.param) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`--param must be name=value, got "${p}"`);
      params[p.slice(0, eq)] = paramValue(p.slice(eq + 1));
    }

    let text: string;
    try {
      text = readFileSync(values.csv, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${values.csv}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const parsed = parseOhlcvCsv(text);
    if (!parsed.ok) {
      const first = parsed.errors[0]!;
      const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
      throw new Error(
        `${values.csv}: row ${first.row}${first.column ? `, column ${first.column}` : ''}: ${first.reason}${more}`,
      );
    }

    let spec: unknown;
    if (values.rules) {
      try {
        spec = { rules: JSON.parse(readFileSync(values.rules, 'utf8')) };
      } catch (e) {
        throw new Error(`cannot read rules ${values.rules}: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else {
      spec = { name: values.strategy, params };
    }
    const checked = StrategySpec.safeParse(spec);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const where = issue.path.join('.');
      const unknownName = !values.rules && !getStrategy(values.strategy);
      throw new Error(
        unknownName
          ? `unknown strategy "${values.strategy}" (known: ${STRATEGY_NAMES.join(', ')})`
          : `invalid strategy${where ? ` ${where}` : ''}: ${issue.message}`,
      );
    }
    const strategy = checked.data;

    const stopLoss = num('stop-loss', values['stop-loss']);
    const takeProfit = num('take-profit', values['take-profit']);
    const result = runBacktest({
      series: parsed.series,
      strategy,
      cash: num('cash', values.cash) ?? 10_000,
      commission: num('commission', values.commission) ?? 0,
      spread: num('spread', values.spread) ?? 0,
      margin: num('margin', values.margin) ?? 1,
      size: sizeOption(values.size),
      tradeOnClose: values['trade-on-close'],
      finalizeTrades: values['finalize-trades'],
      ...(stopLoss !== undefined ? { stopLoss } : {}),
      ...(takeProfit !== undefined ? { takeProfit } : {}),
    });
    if (values.json) {
      out(JSON.stringify({ stats: statsToJson(result.stats), trades: result.trades.map(tradeToJson) }));
    } else {
      out(formatStatsTable(result.stats));
    }
    return 0;
  } catch (e) {
    const usage = e instanceof UsageError || (e instanceof TypeError && 'code' in e);
    const msg = e instanceof Error ? e.message : String(e);
    err(`backtest: ${msg.replace(/\s*\n\s*/g, ' ')}`);
    return usage ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = main(
    process.argv.slice(2),
    (s) => process.stdout.write(`${s}\n`),
    (s) => process.stderr.write(`${s}\n`),
  );
}

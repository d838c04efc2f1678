import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { z } from 'zod';

/** ../shared relative to the repository root, from this file (engine/backtest/). */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));

/** Absolute path of a file under ../shared. */
export function sharedPath(rel: string): string {
  return fileURLToPath(new URL(rel, new URL('../../../shared/', import.meta.url)));
}

/** Text of a file under ../shared, or null when absent. */
export function readShared(rel: string): string | null {
  const p = sharedPath(rel);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}

const Num = z.number();
const NullableNum = z.number().nullable();

/** A reference run written by backtesting.py 0.6.6 (see ../shared/reference). */
export const ReferenceRun = z.object({
  config: z.object({
    cash: Num,
    commission: Num,
    spread: Num,
    tradeOnClose: z.boolean(),
    finalizeTrades: z.boolean(),
    margin: Num,
  }),
  strategy: z.object({ name: z.string(), fast: Num, slow: Num }),
  stats: z.record(z.string(), z.union([z.string(), NullableNum])),
  trades: z.array(
    z.object({
      size: Num,
      entryBar: Num,
      exitBar: Num,
      entryPrice: Num,
      exitPrice: Num,
      pnl: Num,
      commission: Num,
      returnPct: Num,
      entryTime: z.string(),
      exitTime: z.string(),
    }),
  ),
  openTrades: z.array(
    z.object({
      size: Num,
      entryBar: Num,
      entryPrice: Num,
      pnl: Num,
      commission: Num,
      returnPct: Num,
      entryTime: z.string(),
      markPrice: Num,
      entryCommissionCharged: Num,
    }),
  ),
  equity: z.array(z.object({ bar: Num, time: z.string(), equity: Num, drawdownPct: Num })),
});
export type ReferenceRun = z.infer<typeof ReferenceRun>;

/** Parsed reference run, or null when ../shared is absent. */
export function loadReference(file: string): ReferenceRun | null {
  const text = readShared(`reference/${file}`);
  return text === null ? null : ReferenceRun.parse(JSON.parse(text));
}

/**
 * Registers a placeholder when shared fixtures are missing: skipped locally, failing
 * under CI (`CI=true`), where a missing reference must not pass silently.
 */
export function missingShared(what: string): void {
  if (process.env.CI === 'true') {
    it(`requires ${what}`, () => {
      throw new Error(`${what} not found under ${SHARED_DIR} (required when CI=true)`);
    });
  } else {
    it.skip(`skipped: ${what} not found under ${SHARED_DIR}`, () => {});
  }
}

/** |a − b| ≤ tol × max(|a|, |b|), with NaN/null equal to each other. */
export function relClose(a: number | null, b: number | null, tol = 1e-9): boolean {
  const an = a === null || Number.isNaN(a);
  const bn = b === null || Number.isNaN(b);
  if (an || bn) return an && bn;
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}

import { z } from 'zod';

/** One scenario's figures as the nightly run compares them. */
export const Measured = z.object({
  /** Scenario p95 / the in-run `GET /api/health` p95 (null when the scenario had no samples). */
  p95Ratio: z.number().nullable(),
  errorRate: z.number(),
  count: z.number(),
});
export type Measured = z.infer<typeof Measured>;

/** load-tests/nightly-baseline.json */
export const Baseline = z.object({
  recorded: z.string(),
  command: z.string(),
  note: z.string(),
  tolerance: z.object({
    /** A scenario regresses when its p95 ratio exceeds the baseline's × (1 + this). */
    p95RatioIncrease: z.number().positive(),
    /** … or its error rate exceeds the baseline's + this (absolute). */
    errorRateIncrease: z.number().nonnegative(),
    /** … or it completed fewer than this share of the baseline's requests (or messages). */
    minCountShare: z.number().min(0).max(1),
  }),
  scenarios: z.record(z.string(), Measured),
});
export type Baseline = z.infer<typeof Baseline>;

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Every way `now` is worse than `b` beyond its tolerances (empty: no regression). */
export function compare(b: Baseline, now: Record<string, Measured>): string[] {
  const problems: string[] = [];
  for (const [name, base] of Object.entries(b.scenarios)) {
    const cur = now[name];
    if (!cur) {
      problems.push(`${name}: not measured`);
      continue;
    }
    if (base.p95Ratio !== null) {
      const allowed = base.p95Ratio * (1 + b.tolerance.p95RatioIncrease);
      if (cur.p95Ratio === null || cur.p95Ratio > allowed)
        problems.push(
          `${name}: p95 ratio ${cur.p95Ratio} > allowed ${round(allowed)} (baseline ${base.p95Ratio})`,
        );
    }
    const allowedErrors = base.errorRate + b.tolerance.errorRateIncrease;
    if (cur.errorRate > allowedErrors)
      problems.push(`${name}: error rate ${cur.errorRate} > allowed ${round(allowedErrors)}`);
    const minCount = Math.floor(base.count * b.tolerance.minCountShare);
    if (cur.count < minCount) problems.push(`${name}: ${cur.count} completed < ${minCount}`);
  }
  return problems;
}

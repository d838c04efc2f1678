import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Baseline, compare } from '../../load-tests/node/nightly-compare';

const committed = Baseline.parse(
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../load-tests/nightly-baseline.json'), 'utf8')),
);

describe('the nightly load run’s comparison', () => {
  it('passes the committed baseline against itself', () => {
    expect(compare(committed, committed.scenarios)).toEqual([]);
  });

  const base: Baseline = {
    ...committed,
    tolerance: { p95RatioIncrease: 1, errorRateIncrease: 0.02, minCountShare: 0.5 },
    scenarios: { api: { p95Ratio: 2, errorRate: 0, count: 400 } },
  };

  it('allows noise within the tolerance and names each regression beyond it', () => {
    expect(compare(base, { api: { p95Ratio: 3.9, errorRate: 0.02, count: 200 } })).toEqual([]);
    const problems = compare(base, { api: { p95Ratio: 4.1, errorRate: 0.05, count: 100 } });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/api: p95 ratio 4\.1 > allowed 4/);
    expect(problems[1]).toMatch(/error rate 0\.05/);
    expect(problems[2]).toMatch(/100 completed < 200/);
  });

  it('counts a scenario that was not measured, or had no samples, as a regression', () => {
    expect(compare(base, {})).toEqual(['api: not measured']);
    expect(compare(base, { api: { p95Ratio: null, errorRate: 0, count: 0 } })[0]).toMatch(/p95 ratio null/);
  });
});

import { describe, expect, it } from 'vitest';
import { PublishBudget } from './publish-budget';

describe('PublishBudget', () => {
  it('allows a minute of the tier at once, then one frame per refill, with the wait until the next', () => {
    const budget = new PublishBudget('standard'); // 600 a minute: 10 per second
    const t0 = 1_000_000;
    for (let i = 0; i < 600; i++) expect(budget.take(t0)).toBeNull();
    expect(budget.take(t0)).toBe(1);
    expect(budget.take(t0 + 50)).toBe(1); // half a frame refilled: still refused, nothing taken
    expect(budget.take(t0 + 100)).toBeNull(); // one frame refilled (10/s)
    expect(budget.take(t0 + 100)).not.toBeNull();
    // A long pause refills up to a minute's worth, never more.
    for (let i = 0; i < 600; i++) expect(budget.take(t0 + 3_600_000)).toBeNull();
    expect(budget.take(t0 + 3_600_000)).not.toBeNull();
  });

  it('gives high keys their budget', () => {
    const budget = new PublishBudget('high');
    for (let i = 0; i < 10_000; i++) expect(budget.take(0)).toBeNull();
  });
});

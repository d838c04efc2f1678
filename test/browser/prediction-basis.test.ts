import { describe, expect, it } from 'vitest';
import { basisView } from '../../dashboard/src/predictions/prediction-basis';

// The predictions panel's choice of what to show, in Node (no browser needed).

describe('prediction basis in the dashboard', () => {
  it('shows blend weights when the calibrated ensemble answers', () => {
    expect(basisView({ basis: 'ensemble' })).toEqual({ showWeights: true, label: 'Ensemble', note: null });
  });

  it('says the base rate answered, and hides the weights, when no agent beat it', () => {
    const view = basisView({ basis: 'base_rate' });
    expect(view.showWeights).toBe(false);
    expect(view.label).toBe('Base rate');
    expect(view.note).toMatch(/base rate/);
  });
});

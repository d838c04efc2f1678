import type { Flag, FlagReason } from '../api/flags-api';

export interface FlagView {
  /** Whether the feature is on for this key. */
  on: boolean;
  /** The State column: `on` or `off`. */
  state: 'on' | 'off';
  /** Why, in words. */
  why: string;
}

const WHY: Record<FlagReason, string> = {
  STATIC: 'set for every key',
  SPLIT: 'percentage rollout',
  DEFAULT: 'default variant (rollout at 0 %)',
  DISABLED: 'default variant (flag disabled)',
  ERROR: 'default variant (evaluation failed)',
};

/**
 * A boolean flag is on when it serves `true`. A variant flag (e.g. `backtests.execution`) always
 * serves one of its values: it counts as on when its stored state applies to this key (set for
 * every key, or this key inside the rollout), off when the catalogue default answers.
 */
export function flagView(f: Flag): FlagView {
  const on = typeof f.value === 'boolean' ? f.value : f.reason === 'STATIC' || f.reason === 'SPLIT';
  return { on, state: on ? 'on' : 'off', why: WHY[f.reason] };
}

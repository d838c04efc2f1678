import { z } from 'zod';
import type { FlagState } from '../../schema/contracts/flags';

/**
 * Every feature flag, declared once: its variants (the values it can serve), the variant served
 * when it is off, and what it guards. A flag's stored state (platform/flags/storage.ts) only
 * chooses among these variants, so a typo cannot invent a value and an unknown key is a 404.
 */
export type FlagValue = boolean | string | number;

export interface FlagSpec {
  description: string;
  /** `boolean` flags have the variants `on` (true) and `off` (false). */
  type: 'boolean' | 'variant';
  variants: Readonly<Record<string, FlagValue>>;
  /** Served when the flag is disabled, and to keys outside a rollout. */
  defaultVariant: string;
}

const BOOLEAN = { on: true, off: false } as const;

export const FLAGS = {
  'backtests.sweeps': {
    description: 'Parameter sweeps (POST /api/v1/backtests/sweeps): fan-out over the backtests queue.',
    type: 'boolean',
    variants: BOOLEAN,
    defaultVariant: 'on',
  },
  'backtests.strategy.prediction': {
    description: 'The `prediction` strategy (trades the ensemble’s calls) in backtests and sweeps.',
    type: 'boolean',
    variants: BOOLEAN,
    defaultVariant: 'off',
  },
  'backtests.execution': {
    description:
      'Where a backtest runs: `auto` (small runs inline, large ones queued) or `queued` (all queued).',
    type: 'variant',
    variants: { auto: 'auto', queued: 'queued' },
    defaultVariant: 'auto',
  },
  'predictions.evaluation': {
    description: 'The walk-forward evaluation endpoint (GET /api/v1/predictions/{symbol}/evaluation).',
    type: 'boolean',
    variants: BOOLEAN,
    defaultVariant: 'on',
  },
} as const satisfies Record<string, FlagSpec>;

export type FlagKey = keyof typeof FLAGS;
export const FLAG_KEYS = Object.keys(FLAGS) as [FlagKey, ...FlagKey[]];
export const FlagKeySchema = z.enum(FLAG_KEYS);

export function isFlagKey(key: string): key is FlagKey {
  return Object.hasOwn(FLAGS, key);
}

export function flagSpec(key: FlagKey): FlagSpec {
  return FLAGS[key];
}

export { FlagState } from '../../schema/contracts/flags';

/** What a flag serves when nothing is stored: the environment's default variant, or the spec's. */
export function defaultState(key: FlagKey, envDefaults: Readonly<Record<string, string>>): FlagState {
  const spec = flagSpec(key);
  const variant = envDefaults[key];
  if (variant !== undefined && Object.hasOwn(spec.variants, variant))
    return { enabled: true, variant, rollout: 100 };
  return { enabled: false, variant: spec.defaultVariant, rollout: 0 };
}

/** The variant names of `key`, for validation messages. */
export function variantNames(key: FlagKey): string[] {
  return Object.keys(flagSpec(key).variants);
}

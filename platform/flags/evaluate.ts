import type { FlagState } from '../../schema/contracts/flags';
import { defaultState, type FlagKey, type FlagValue, flagSpec, isFlagKey } from './catalog';
import { rolloutBucket } from './hash';

/**
 * Evaluation in OpenFeature's shape (flag key, default, context with `targetingKey`; details with
 * value, variant, reason and an error code), synchronous over an in-memory snapshot: no I/O on
 * the request path. Every failure answers the caller's default, never an error.
 */
export type Reason = 'STATIC' | 'DEFAULT' | 'DISABLED' | 'SPLIT' | 'ERROR';
export type ErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PROVIDER_NOT_READY' | 'GENERAL';

export interface EvaluationContext {
  /** The API key id: the unit of a rollout. */
  targetingKey?: string;
}

export interface EvaluationDetails<T extends FlagValue> {
  flagKey: string;
  value: T;
  variant: string;
  reason: Reason;
  errorCode?: ErrorCode;
}

/** The flag states one isolate knows, with where they came from. */
export interface FlagSnapshot {
  states: ReadonlyMap<string, FlagState>;
  envDefaults: Readonly<Record<string, string>>;
  /** `d1` read now, `kv` last-known-good copy while D1 failed, `defaults` when neither answered. */
  source: 'd1' | 'kv' | 'defaults';
  loadedAt: number;
}

/** Which variant `state` serves to `targetingKey` and why. */
export function resolveVariant(
  key: FlagKey,
  state: FlagState,
  targetingKey: string | undefined,
): { variant: string; reason: Reason } {
  const spec = flagSpec(key);
  if (!state.enabled || !Object.hasOwn(spec.variants, state.variant))
    return { variant: spec.defaultVariant, reason: 'DISABLED' };
  if (state.rollout >= 100) return { variant: state.variant, reason: 'STATIC' };
  if (state.rollout <= 0 || targetingKey === undefined)
    return { variant: spec.defaultVariant, reason: 'DEFAULT' };
  const inside = rolloutBucket(key, targetingKey) < Math.round(state.rollout * 100);
  return { variant: inside ? state.variant : spec.defaultVariant, reason: 'SPLIT' };
}

export function stateOf(snapshot: FlagSnapshot, key: FlagKey): FlagState {
  return snapshot.states.get(key) ?? defaultState(key, snapshot.envDefaults);
}

function details<T extends FlagValue>(
  snapshot: FlagSnapshot | null,
  flagKey: string,
  fallback: T,
  type: 'boolean' | 'string' | 'number',
  ctx: EvaluationContext,
): EvaluationDetails<T> {
  const failed = (errorCode: ErrorCode): EvaluationDetails<T> => ({
    flagKey,
    value: fallback,
    variant: 'default',
    reason: 'ERROR',
    errorCode,
  });
  if (!isFlagKey(flagKey)) return failed('FLAG_NOT_FOUND');
  if (!snapshot) return failed('PROVIDER_NOT_READY');
  const { variant, reason } = resolveVariant(flagKey, stateOf(snapshot, flagKey), ctx.targetingKey);
  const value = flagSpec(flagKey).variants[variant];
  if (typeof value !== type) return failed('TYPE_MISMATCH');
  return { flagKey, value: value as T, variant, reason };
}

/** An OpenFeature-shaped client over one snapshot (null: nothing could be read; defaults answer). */
export class FlagClient {
  constructor(
    readonly snapshot: FlagSnapshot | null,
    readonly context: EvaluationContext = {},
  ) {}

  getBooleanDetails(key: string, fallback: boolean, ctx = this.context): EvaluationDetails<boolean> {
    return details(this.snapshot, key, fallback, 'boolean', ctx);
  }
  getStringDetails(key: string, fallback: string, ctx = this.context): EvaluationDetails<string> {
    return details(this.snapshot, key, fallback, 'string', ctx);
  }
  getNumberDetails(key: string, fallback: number, ctx = this.context): EvaluationDetails<number> {
    return details(this.snapshot, key, fallback, 'number', ctx);
  }
  getBooleanValue(key: string, fallback: boolean, ctx = this.context): boolean {
    return this.getBooleanDetails(key, fallback, ctx).value;
  }
  getStringValue(key: string, fallback: string, ctx = this.context): string {
    return this.getStringDetails(key, fallback, ctx).value;
  }
  getNumberValue(key: string, fallback: number, ctx = this.context): number {
    return this.getNumberDetails(key, fallback, ctx).value;
  }
}

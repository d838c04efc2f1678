import type { EvaluatedFlag } from '../../../schema/contracts/flags';
import { expectArray, expectObject, str, unwrap } from './guards';
import type { HttpClient } from './http-client';

export type Flag = EvaluatedFlag;
export type FlagReason = EvaluatedFlag['reason'];

const REASONS: readonly FlagReason[] = ['STATIC', 'DEFAULT', 'DISABLED', 'SPLIT', 'ERROR'];

const isReason = (v: unknown): v is FlagReason => REASONS.includes(v as FlagReason);

/** `GET /api/v1/flags`: every feature flag as evaluated for the signed-in key. */
export class FlagsApi {
  constructor(private readonly http: HttpClient) {}

  async flags(): Promise<Flag[]> {
    return expectArray(unwrap(await this.http.json('/api/v1/flags')), 'flags').map(toFlag);
  }
}

/** Checks one evaluated flag; rejects a shape the panel cannot render. */
export function toFlag(v: unknown): Flag {
  const f = expectObject(v, 'flag');
  const key = str(f.key);
  const variant = str(f.variant);
  const value = f.value;
  if (
    key === null ||
    variant === null ||
    !isReason(f.reason) ||
    !(typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number')
  )
    throw new Error('Unexpected flag from the server.');
  return { key, description: str(f.description) ?? '', value, variant, reason: f.reason };
}

import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../../platform/errors';
import type { FlagKey } from '../../platform/flags/catalog';
import type { FlagClient } from '../../platform/flags/evaluate';
import { flagsFor } from '../../platform/flags/flag-cache';
import type { AppEnv } from '../app-env';

/** The flag client of this request, targeted at the caller's key id (memory only after the first load). */
export function requestFlags(c: Context<AppEnv>): Promise<FlagClient> {
  return flagsFor(c.env, (p) => c.executionCtx.waitUntil(p), c.get('principal')?.keyId);
}

/** 403 `forbidden` (naming the flag) unless boolean flag `key` is on for the caller's key. */
export async function assertFlag(c: Context<AppEnv>, key: FlagKey, what: string): Promise<void> {
  const flags = await requestFlags(c);
  if (!flags.getBooleanValue(key, false))
    throw new ApiError('forbidden', `${what} is not enabled for this API key.`, { details: { flag: key } });
}

/** Middleware form of `assertFlag`, for a route that is one feature. */
export function requireFlag(key: FlagKey, what: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await assertFlag(c, key, what);
    await next();
  };
}

import type { RateLimitTier } from '../../platform/auth/api-keys';
import { config } from '../../platform/config';
import type { KeySockets, SlotGrant } from './key-sockets';

/**
 * The key-sockets family's one door: one object per API key (`key:<id>`) counting the key's open
 * stream sockets across every gateway shard (the per-key concurrent-socket limit).
 */
export type { KeySockets, SlotGrant };

export function keySocketsFor(env: Env, keyId: string): DurableObjectStub<KeySockets> {
  return env.KEY_SOCKETS.get(env.KEY_SOCKETS.idFromName(`key:${keyId}`));
}

/**
 * A key's stream limits by tier (docs/streaming.md, "Limits"): connects a minute (counted by its
 * KeySockets object, continuous refill) and sockets open at once across every gateway shard.
 */
export const STREAM_CONNECTS_PER_MINUTE: Record<RateLimitTier, number> = { standard: 120, high: 10_000 };

/** The key's concurrent-socket limit, from the configuration by tier. */
export function socketLimit(env: Env, tier: RateLimitTier): number {
  const cfg = config(env);
  return tier === 'high' ? cfg.STREAM_KEY_SOCKETS_HIGH : cfg.STREAM_KEY_SOCKETS_STANDARD;
}

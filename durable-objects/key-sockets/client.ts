import type { KeySockets, SlotGrant } from './key-sockets';

/**
 * The key-sockets family's one door: one object per API key (`key:<id>`) counting the key's open
 * stream sockets across every gateway shard (the per-key concurrent-socket limit).
 */
export type { KeySockets, SlotGrant };

export function keySocketsFor(env: Env, keyId: string): DurableObjectStub<KeySockets> {
  return env.KEY_SOCKETS.get(env.KEY_SOCKETS.idFromName(`key:${keyId}`));
}

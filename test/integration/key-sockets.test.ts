import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { keySocketsFor } from '../../durable-objects/key-sockets/client';
import type { KeySockets } from '../../durable-objects/key-sockets/key-sockets';

const newKey = () => keySocketsFor(env, `key_${crypto.randomUUID()}`);

describe('KeySockets: a key’s open stream sockets across gateway shards', () => {
  it('grants in order up to the limit, frees released slots, and counts a repeated acquire once', async () => {
    const stub = newKey();
    expect(await stub.acquire(['a', 'b'], 'gateway-0', 3)).toEqual({ granted: 2, open: 2, limit: 3 });
    // A batch past the limit: the first ones get a slot, the rest are refused.
    expect(await stub.acquire(['c', 'd', 'e'], 'gateway-1', 3)).toEqual({
      granted: 1,
      open: 3,
      limit: 3,
      refused: 'open_sockets',
    });
    expect(await stub.acquire(['c'], 'gateway-1', 4)).toEqual({ granted: 1, open: 3, limit: 4 });
    expect(await stub.acquire(['d'], 'gateway-1', 3)).toEqual({
      granted: 0,
      open: 3,
      limit: 3,
      refused: 'open_sockets',
    });
    await stub.release(['a', 'a', 'unknown']);
    expect(await stub.open()).toBe(2);
    expect(await stub.acquire(['d'], 'gateway-1', 3)).toEqual({ granted: 1, open: 3, limit: 3 });
  });

  it('keeps its count across an eviction (slots are stored, not only in memory)', async () => {
    const stub = newKey();
    await stub.acquire(['a', 'b'], 'gateway-0', 2);
    await runInDurableObject(stub, async (_obj: KeySockets, state) => {
      expect(state.storage.sql.exec('SELECT count(*) AS n FROM slots').one().n).toBe(2);
    });
    await evictDurableObject(stub);
    expect(await stub.acquire(['c'], 'gateway-0', 2)).toMatchObject({ granted: 0, open: 2, limit: 2 });
  });

  it('at the limit, frees older slots their gateway no longer holds (a lost close cannot lock a key out)', async () => {
    // A real gateway shard that holds no sockets: every slot on it is stale once old enough.
    const gateway = `gateway-${200 + Math.floor(Math.random() * 50)}`;
    const young = newKey();
    await young.acquire(['lost-1', 'lost-2'], gateway, 2);
    // Young slots are never reclaimed (their upgrade may still be finishing).
    expect(await young.acquire(['new'], gateway, 2)).toMatchObject({ granted: 0 });

    const old = newKey();
    await old.acquire(['lost-1', 'lost-2'], gateway, 2);
    await runInDurableObject(old, async (_obj: KeySockets, state) => {
      state.storage.sql.exec('UPDATE slots SET at = at - 60000');
    });
    expect(await old.acquire(['new'], gateway, 2)).toEqual({ granted: 1, open: 1, limit: 2 });
  });

  it('charges every connect to the key’s connect rate, refused ones too, and says how long to wait', async () => {
    const stub = newKey();
    // 3 a minute: three connects pass (each closed again), the fourth is refused for the rate.
    for (const c of ['a', 'b', 'c']) {
      expect(await stub.acquire([c], 'gateway-0', 100, 3)).toMatchObject({ granted: 1 });
      await stub.release([c]);
    }
    const refused = await stub.acquire(['d', 'e'], 'gateway-0', 100, 3);
    expect(refused).toMatchObject({ granted: 0, refused: 'connect_rate' });
    // Two refused connects were charged: the wait is the time to refill past them (20 s a connect).
    expect(refused.retryAfter).toBeGreaterThan(20);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
    // Kept across an eviction (stored with the slots).
    await evictDurableObject(stub);
    expect(await stub.acquire(['f'], 'gateway-0', 100, 3)).toMatchObject({ refused: 'connect_rate' });
    // A batch stops granting at the first refusal and charges the rest.
    const fresh = newKey();
    expect(await fresh.acquire(['a', 'b', 'c', 'd'], 'gateway-0', 100, 2)).toMatchObject({
      granted: 2,
      refused: 'connect_rate',
    });
  });
});

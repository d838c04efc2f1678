import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { keySocketsFor } from '../../durable-objects/key-sockets/client';
import type { KeySockets } from '../../durable-objects/key-sockets/key-sockets';

describe('KeySockets: a key’s open stream sockets across gateway shards', () => {
  it('refuses past the limit, frees released slots, and counts a repeated acquire once', async () => {
    const stub = keySocketsFor(env, `key_${crypto.randomUUID()}`);
    for (const conn of ['a', 'b', 'c'])
      expect(await stub.acquire(conn, 'gateway-0', 3)).toEqual({ ok: true });
    expect(await stub.acquire('c', 'gateway-0', 4)).toEqual({ ok: true });
    expect(await stub.open()).toBe(3);
    expect(await stub.acquire('d', 'gateway-1', 3)).toEqual({ ok: false, open: 3, limit: 3 });
    await stub.release(['a', 'a', 'unknown']);
    expect(await stub.open()).toBe(2);
    expect(await stub.acquire('d', 'gateway-1', 3)).toEqual({ ok: true });
  });

  it('keeps its count across an eviction (slots are stored, not only in memory)', async () => {
    const stub = keySocketsFor(env, `key_${crypto.randomUUID()}`);
    await stub.acquire('a', 'gateway-0', 2);
    await stub.acquire('b', 'gateway-0', 2);
    await runInDurableObject(stub, async (_obj: KeySockets, state) => {
      expect(state.storage.sql.exec('SELECT count(*) AS n FROM slots').one().n).toBe(2);
    });
    await evictDurableObject(stub);
    expect(await stub.acquire('c', 'gateway-0', 2)).toMatchObject({ ok: false, open: 2 });
  });

  it('at the limit, frees older slots their gateway no longer holds (a lost close cannot lock a key out)', async () => {
    const stub = keySocketsFor(env, `key_${crypto.randomUUID()}`);
    // A real gateway shard that holds no sockets: every slot on it is stale once old enough.
    const gateway = `gateway-${200 + Math.floor(Math.random() * 50)}`;
    await stub.acquire('lost-1', gateway, 2);
    await stub.acquire('lost-2', gateway, 2);
    // Young slots are never reclaimed (their upgrade may still be finishing).
    expect(await stub.acquire('new', gateway, 2)).toMatchObject({ ok: false });
    const fresh = keySocketsFor(env, `key_${crypto.randomUUID()}`);
    await fresh.acquire('lost-1', gateway, 2);
    await fresh.acquire('lost-2', gateway, 2);
    await runInDurableObject(fresh, async (_obj: KeySockets, state) => {
      state.storage.sql.exec('UPDATE slots SET at = at - 60000');
    });
    expect(await fresh.acquire('new', gateway, 2)).toEqual({ ok: true });
    expect(await fresh.open()).toBe(1);
  });
});

import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SeqRing } from '../../durable-objects/symbol-room/ring';
import type { SymbolRoom } from '../../durable-objects/symbol-room/symbol-room';
import type { Tick } from '../../schema/contracts/ingest';

// Each test uses its own room name: rooms bind to the first symbol they see.
function room(symbol: string): DurableObjectStub<SymbolRoom> {
  return env.SYMBOL_ROOM.get(env.SYMBOL_ROOM.idFromName(symbol));
}

const trades = (n: number, prefix: string, ts = Date.now()): Tick[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'trade',
    symbol: 'X',
    sourceId: `${prefix}-${i}`,
    ts: ts + i,
    price: 10 + i / 100,
    size: 1,
  }));

describe('SeqRing', () => {
  it('keeps the newest items and answers only gaps it can cover', () => {
    const ring = new SeqRing<{ seq: number }>(4);
    for (let s = 1; s <= 6; s++) ring.push({ seq: s });
    expect(ring.oldestSeq).toBe(3);
    expect(ring.after(2, 10)?.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(ring.after(4, 1)?.map((m) => m.seq)).toEqual([5]);
    expect(ring.after(1, 10)).toBeNull();
    ring.push({ seq: 9 });
    expect(ring.oldestSeq).toBe(9);
  });
});

describe('SymbolRoom streaming state', () => {
  it('keeps seq increasing across eviction and replays from the SQLite log once the ring is gone', async () => {
    const symbol = 'RINGA';
    const stub = room(symbol);
    // Five trades, then one forming-bar update (final: false) for the batch.
    const first = await stub.ingest(symbol, trades(5, 'a'));
    expect(first.lastSeq).toBe(6);
    const fromRing = await stub.replay(symbol, 2);
    expect(fromRing.kind === 'messages' && fromRing.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    const forming = fromRing.kind === 'messages' ? JSON.parse(fromRing.messages.at(-1)?.json ?? '{}') : {};
    expect(forming).toMatchObject({ type: 'bar', final: false, tf: '1m', c: 10.04, v: 5 });
    await runInDurableObject(stub, async (_i, state) => {
      expect(state.storage.sql.exec('SELECT COUNT(*) AS n FROM messages').one().n).toBe(6);
    });

    await evictDurableObject(stub);
    const fromLog = await stub.replay(symbol, 2);
    expect(fromLog.kind === 'messages' && fromLog.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    // A fresh instance sends a forming update with its first trades again.
    const second = await stub.ingest(symbol, trades(3, 'b'));
    expect(second.lastSeq).toBe(10);
    expect(await stub.replay(symbol, 11)).toEqual({ kind: 'reset' });
  });

  it('registers gateways persistently and returns a snapshot with quote, forming bar and seq', async () => {
    const symbol = 'RINGB';
    const stub = room(symbol);
    await stub.ingest(symbol, trades(3, 'c'));
    const snap = await stub.attach(symbol, 'gateway-test');
    expect(snap.seq).toBe(4); // three trades and the forming-bar update
    expect(snap.quote?.last).toBeCloseTo(10.02, 5);
    expect(snap.forming?.close).toBeCloseTo(10.02, 5);
    await evictDurableObject(stub);
    expect((await stub.stats(symbol)).gateways).toEqual(['gateway-test']);
    await stub.detach(symbol, 'gateway-test');
    expect((await stub.stats(symbol)).gateways).toEqual([]);
  });
});

import { evictDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ServerFrame } from '../../schema/contracts/stream';
import { makeKey, seedSymbols } from './helpers';

let readKey: string;
let ingestKey: string;

beforeAll(async () => {
  await seedSymbols();
  readKey = await makeKey(['read']);
  ingestKey = await makeKey(['ingest']);
});

/** A socket to the Worker in this isolate, recording validated server frames. */
async function open(): Promise<{
  ws: WebSocket;
  frames: ServerFrame[];
  until: <T>(f: () => T | undefined, what: string) => Promise<T>;
}> {
  const res = await exports.default.fetch(
    new Request('http://skippy.test/api/v1/stream', {
      headers: { upgrade: 'websocket', authorization: `Bearer ${readKey}` },
    }),
  );
  const ws = res.webSocket;
  if (!ws) throw new Error(`no upgrade: ${res.status}`);
  ws.accept();
  const frames: ServerFrame[] = [];
  const waiters = new Set<() => void>();
  ws.addEventListener('message', (e) => {
    const parsed = ServerFrame.safeParse(JSON.parse(String(e.data)));
    if (parsed.success) frames.push(parsed.data);
    for (const w of waiters) w();
  });
  const until = <T>(f: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
      const check = () => {
        const v = f();
        if (v !== undefined) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(v);
        }
      };
      waiters.add(check);
      check();
    });
  return { ws, frames, until };
}

async function publish(symbol: string, n: number, tag: string): Promise<number> {
  const ticks = Array.from({ length: n }, (_, i) => ({
    type: 'trade',
    symbol,
    sourceId: `${tag}-${i}`,
    ts: Date.now() + i,
    price: 10 + i,
    size: 1,
  }));
  const res = await exports.default.fetch(
    new Request('http://skippy.test/api/v1/ingest/ticks', {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticks }),
    }),
  );
  const body = (await res.json()) as { symbols: Record<string, { lastSeq: number }> };
  return body.symbols[symbol]?.lastSeq ?? 0;
}

describe('StreamGateway hibernation', () => {
  it('keeps streaming to a socket after the gateway is evicted (hibernated) and rebuilt from storage', async () => {
    const symbol = 'SPY';
    const s = await open();
    s.ws.send(JSON.stringify({ type: 'subscribe', symbols: [symbol], bars: 0 }));
    const snap = await s.until(() => s.frames.find((f) => f.type === 'snapshot'), 'snapshot');

    const room = env.SYMBOL_ROOM.get(env.SYMBOL_ROOM.idFromName(symbol));
    const [gateway] = (await room.stats(symbol)).gateways;
    expect(gateway).toBeDefined();
    await evictDurableObject(env.STREAM_GATEWAY.get(env.STREAM_GATEWAY.idFromName(gateway ?? '')));

    const last = await publish(symbol, 3, 'hib');
    const seqs = await s.until(() => {
      const got = s.frames.flatMap((f) => (f.type === 'data' ? f.messages.map((m) => m.seq) : []));
      return got.includes(last) ? got : undefined;
    }, 'data after eviction');
    // Three trades, then the forming-bar update the batch produced (the socket takes every channel).
    expect(seqs).toEqual([snap.seq + 1, snap.seq + 2, snap.seq + 3, snap.seq + 4]);

    // Subscriptions survived too: the acknowledgement after another change lists both symbols.
    s.ws.send(
      JSON.stringify({ type: 'subscribe', id: 'x', symbols: ['NVDA'], channels: ['quotes'], bars: 0 }),
    );
    const ack = await s.until(() => s.frames.find((f) => f.type === 'subscriptions' && f.id === 'x'), 'ack');
    expect(ack.type === 'subscriptions' && ack.subscriptions).toEqual({
      NVDA: ['quotes'],
      SPY: ['trades', 'quotes', 'bars'],
    });
    s.ws.close();
  });
});

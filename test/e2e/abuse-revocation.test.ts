import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../schema/contracts/stream';
import { createKey, rawSocket, sleep, underWatch, WATCH_BOUNDS } from './abuse-support';
import { call, demoKey } from './helpers';

/**
 * Revocation is final for open sockets too (issue 15, finding 2): the stream sockets of a revoked
 * key (opened with the key or with a ticket issued for it) and its publisher sockets close with
 * 4001 within 5 s, found by the gateways' and sessions' periodic key re-check, not per message.
 */
const SYMBOL = 'SOL-USD';
const WITHIN_MS = 5_000;

describe('abuse: a revoked key', () => {
  it("closes the key's open stream sockets (key and ticket) and publisher sockets with 4001 within 5 s; others stream on", async () => {
    const reader = await createKey(['read']);
    const publisher = await createKey(['ingest']);
    const w = await underWatch(SYMBOL, async () => {
      const viaKey = await Promise.all([1, 2].map(() => rawSocket('/api/v1/stream', reader.key)));
      const ticketRes = await call('/api/v1/stream/ticket', {
        method: 'POST',
        key: reader.key,
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(ticketRes.status).toBe(201);
      const { ticket } = (await ticketRes.json()) as { ticket: string };
      const ticketSocket = await rawSocket(`/api/v1/stream?ticket=${encodeURIComponent(ticket)}`, null);
      for (const s of [...viaKey, ticketSocket])
        s.ws.send(JSON.stringify({ type: 'subscribe', symbols: [SYMBOL], bars: 0 }));
      const pub = await rawSocket('/api/v1/ingest/stream', publisher.key);
      // Idle for a while first: re-checks of valid keys must not close anything.
      await sleep(4_000);
      const sockets = [...viaKey, ticketSocket, pub];
      for (const s of sockets) expect(s.ws.readyState).toBe(s.ws.OPEN);

      const revoke = async (id: string) =>
        (await call(`/api/v1/admin/keys/${id}`, { method: 'DELETE', key: demoKey('admin') })).status;
      expect(await revoke(reader.id)).toBe(200);
      expect(await revoke(publisher.id)).toBe(200);
      const revokedAt = Date.now();
      const closed = await Promise.all(sockets.map((s) => s.closed));
      return closed.map((c) => ({ code: c.code, afterMs: c.at - revokedAt }));
    });
    console.log(`[abuse] revoked key sockets: ${JSON.stringify(w)}`);
    expect(w.result).toHaveLength(4);
    for (const c of w.result) {
      expect(c.code).toBe(CloseCode.authFailed);
      expect(c.afterMs).toBeLessThanOrEqual(WITHIN_MS);
    }
    expect(w.watch.gaps).toBe(0);
    expect(w.watch.longestSilenceMs).toBeLessThan(WATCH_BOUNDS.longestSilenceMs);
  }, 60_000);
});

import { describe, expect, it } from 'vitest';
import { CloseCode, STREAM_LIMITS } from '../../schema/contracts/stream';
import { rawSocket, underWatch, WATCH_BOUNDS, type Watched, waitFor } from './abuse-support';
import { demoKey } from './helpers';
import { roomStats } from './stream-support';

/**
 * Frames no socket may send (issue 15, finding 9): oversized frames on either socket close it with
 * 1009 (ours past our limit, the runtime's past 32 MiB) and release it server-side; the publisher
 * socket answers garbage, then closes; foreign Origins are refused. A well-behaved subscriber of
 * the published symbol keeps its bounds throughout.
 */
const SYMBOL = 'BTC-USD';
/** A symbol no other socket of this file watches, so its room's gateway list shows the attacker alone. */
const QUIET = 'SPY';

function expectUnharmed(w: Watched<unknown>): void {
  expect(w.watch.received).toBeGreaterThan(0);
  expect(w.watch.gaps).toBe(0);
  expect(w.watch.worstLatencyMs).toBeLessThan(WATCH_BOUNDS.worstLatencyMs);
  expect(w.watch.longestSilenceMs).toBeLessThan(WATCH_BOUNDS.longestSilenceMs);
  expect(w.health.failed).toBe(0);
  expect(w.health.worstMs).toBeLessThan(WATCH_BOUNDS.healthWorstMs);
}

describe('abuse: oversized stream frames', () => {
  it('oversized frames close with 1009: ours past 16 KiB, the runtime past 32 MiB; the gateway lets go of the socket', async () => {
    const w = await underWatch(SYMBOL, async () => {
      const out: Record<string, { code: number; ms: number; released: boolean }> = {};
      for (const [label, bytes] of [
        ['20 KiB', 20 * 1024],
        ['33 MiB', 33 * 1024 * 1024],
      ] as const) {
        const a = await rawSocket('/api/v1/stream', demoKey('read'));
        a.ws.send(JSON.stringify({ type: 'subscribe', symbols: [QUIET], bars: 0 }));
        expect(await waitFor(() => a.received.some((f) => f.startsWith('{"type":"snapshot"')))).toBe(true);
        expect((await roomStats(QUIET)).gateways.length).toBe(1);
        const t0 = Date.now();
        a.ws.send(`{"type":"subscribe","symbols":["AAPL"],"pad":"${'x'.repeat(bytes)}"}`);
        const closed = await a.closed;
        // Nothing left hanging server-side: the gateway dropped the socket and left the room.
        const released = await waitFor(async () => (await roomStats(QUIET)).gateways.length === 0);
        out[label] = { code: closed.code, ms: closed.at - t0, released };
      }
      return out;
    });
    console.log(`[abuse] oversized stream frames: ${JSON.stringify(w)}`);
    for (const r of Object.values(w.result)) {
      expect(r.code).toBe(CloseCode.messageTooBig);
      expect(r.released).toBe(true);
    }
    expect(Object.keys(w.result)).toHaveLength(2);
    expectUnharmed(w);
  }, 120_000);
});

describe('abuse: publisher socket', () => {
  it('a publisher sending 500 garbage frames is closed with 4002 after the 10th; the rest are dropped unread', async () => {
    const w = await underWatch(SYMBOL, async () => {
      const a = await rawSocket('/api/v1/ingest/stream', demoKey('ingest'));
      const t0 = Date.now();
      for (let i = 0; i < 500; i++)
        a.ws.send(i % 2 === 0 ? 'garbage' : JSON.stringify({ type: 'nope', id: `g${i}` }));
      const closed = await a.closed;
      const errors = a.received.filter((f) => f.startsWith('{"type":"error"')).length;
      return { code: closed.code, closedAfterMs: closed.at - t0, errors };
    });
    console.log(`[abuse] publisher garbage: ${JSON.stringify(w)}`);
    expect(w.result.code).toBe(CloseCode.badMessage);
    expect(w.result.closedAfterMs).toBeLessThan(5_000);
    // Every bad frame up to the limit is answered in the API error shape, the one past it closes.
    expect(w.result.errors).toBe(STREAM_LIMITS.maxBadFrames + 1);
    expectUnharmed(w);
  }, 60_000);

  it('refuses a publisher upgrade from a foreign Origin (403) and accepts an allowed one and none', async () => {
    const status = async (origin?: string) =>
      rawSocket('/api/v1/ingest/stream', demoKey('ingest'), origin ? { origin } : {}).then(
        (s) => {
          s.ws.close();
          return 101;
        },
        (err: { status?: number }) => err.status ?? 0,
      );
    expect(await status('https://evil.example')).toBe(403);
    expect(await status('http://localhost:8787')).toBe(101);
    expect(await status()).toBe(101);
  });

  it('closes a publisher with 1009 on a frame over 32 MiB (the runtime closes it before our code sees it)', async () => {
    const a = await rawSocket('/api/v1/ingest/stream', demoKey('ingest'));
    const t0 = Date.now();
    a.ws.send(`{"type":"ticks","id":"huge","ticks":[],"pad":"${'x'.repeat(33 * 1024 * 1024)}"}`);
    const closed = await a.closed;
    console.log(
      `[abuse] publisher 33 MiB frame: ${JSON.stringify({ code: closed.code, reason: closed.reason, ms: closed.at - t0 })}`,
    );
    expect(closed.code).toBe(CloseCode.messageTooBig);
  }, 60_000);
});

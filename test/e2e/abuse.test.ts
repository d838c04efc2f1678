import { beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, STREAM_LIMITS } from '../../schema/contracts/stream';
import {
  memoryAfter,
  memorySampler,
  rawSocket,
  settledMetric,
  underWatch,
  WATCH_BOUNDS,
  type Watched,
  workerdRssMiB,
} from './abuse-support';
import { demoKey } from './helpers';

/**
 * One read key must not be able to take the platform down (issue 15, finding 1): each attack runs
 * against `wrangler dev` while a well-behaved subscriber of the same symbol, fed a trade every
 * 100 ms, measures gaps, latency and silence, and `/api/health` is asked every 200 ms.
 *
 * A frame costs the runtime one hibernation event before any of our code runs, and the runtime
 * reads a socket to its end (the client's close frame comes after everything it queued), so a
 * flood of 10,000 frames stalls workerd for a few seconds even when the Durable Object returns at
 * once (the "floor", measured beside ours in docs/streaming.md, "Abuse"). The strict bounds are
 * asserted for floods the size a budget is made for; the 10,000-frame flood of the report is
 * asserted to stay bounded, lose nothing, recover, and leave no growing memory behind.
 */
const SYMBOL = 'ETH-USD';
const SUBSCRIBE = JSON.stringify({ type: 'subscribe', symbols: [SYMBOL], bars: 500 });

function report(label: string, w: Watched<unknown>): void {
  console.log(`[abuse] ${label}: ${JSON.stringify(w)}`);
}

function expectUnharmed(w: Watched<unknown>): void {
  expect(w.watch.received).toBeGreaterThan(0);
  expect(w.watch.gaps).toBe(0);
  expect(w.watch.worstLatencyMs).toBeLessThan(WATCH_BOUNDS.worstLatencyMs);
  expect(w.watch.longestSilenceMs).toBeLessThan(WATCH_BOUNDS.longestSilenceMs);
  expect(w.health.count).toBeGreaterThan(0);
  expect(w.health.failed).toBe(0);
  expect(w.health.worstMs).toBeLessThan(WATCH_BOUNDS.healthWorstMs);
}

/** Sends `frames` copies of `frame` without waiting; how the socket was closed and what it got. */
async function flood(frame: string, frames: number) {
  const a = await rawSocket('/api/v1/stream', demoKey('read'));
  const t0 = Date.now();
  for (let i = 0; i < frames; i++) a.ws.send(frame);
  const closed = await a.closed;
  return {
    code: closed.code,
    closedAfterMs: closed.at - t0,
    snapshots: a.received.filter((f) => f.startsWith('{"type":"snapshot"')).length,
  };
}

/** Snapshot reads on D1 (`bars.snapshot`) during `fn`, from the metrics every isolate flushes. */
async function snapshotReads<T>(fn: () => Promise<T>): Promise<{ value: T; reads: number }> {
  const before = await settledMetric('skippy_d1_queries_total', { op: 'bars.snapshot' });
  const value = await fn();
  return { value, reads: (await settledMetric('skippy_d1_queries_total', { op: 'bars.snapshot' })) - before };
}

/** workerd's resident memory from before the first attack of this file to after the last. */
let memory: ReturnType<typeof memorySampler>;
beforeAll(() => {
  memory = memorySampler();
});

describe('abuse: one stream socket, within the bounds', () => {
  it('a subscribe flood (500 frames asking 500 bars) is closed with 4008, answers at most its burst from one shared read, and harms no one', async () => {
    const { value: w, reads } = await snapshotReads(() => underWatch(SYMBOL, () => flood(SUBSCRIBE, 500)));
    report('subscribe flood 500', w);
    expect(w.result.closedAfterMs).toBeLessThan(5_000);
    expect(w.result.code).toBe(CloseCode.rateLimited);
    // The burst, plus what the bucket refilled while the runtime handed the frames over.
    expect(w.result.snapshots).toBeLessThanOrEqual(STREAM_LIMITS.frameBurst + STREAM_LIMITS.framesPerSecond);
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(3);
    expectUnharmed(w);
  }, 60_000);

  it('a flood of 500 frames that are not JSON is closed with 4002 after the 10th, and nothing after the close is processed', async () => {
    const before = await settledMetric('skippy_ws_errors_total', { kind: 'bad_message' });
    const w = await underWatch(SYMBOL, () => flood('not json', 500));
    const processed = (await settledMetric('skippy_ws_errors_total', { kind: 'bad_message' })) - before;
    report('bad-json flood 500', { ...w, result: { ...w.result, processed } });
    expect(w.result.code).toBe(CloseCode.badMessage);
    expect(w.result.closedAfterMs).toBeLessThan(5_000);
    // Ten answered, the eleventh closes the socket; the 489 behind it are dropped unread.
    expect(processed).toBe(STREAM_LIMITS.maxBadFrames + 1);
    expectUnharmed(w);
  }, 60_000);
});

describe('abuse: the 10,000-frame subscribe flood of the report', () => {
  /** Bounds at the runtime's floor for 10,000 queued frames on a loaded machine (see the file's doc). */
  const FLOOR_BOUNDS = { stallMs: 20_000 } as const;
  /** The gateway decides after ~70 frames; the client sees the close frame once the runtime got there. */
  const CLOSE_MS = 10_000;
  let firstPlateau = 0;

  async function bigFlood(label: string) {
    const { value: w, reads } = await snapshotReads(() => underWatch(SYMBOL, () => flood(SUBSCRIBE, 10_000)));
    const rssMiB = workerdRssMiB();
    report(label, { ...w, result: { ...w.result, reads, rssMiB } });
    expect(w.result.code).toBe(CloseCode.rateLimited);
    // The burst, plus what the bucket refilled while the runtime handed the frames over.
    expect(w.result.snapshots).toBeLessThanOrEqual(STREAM_LIMITS.frameBurst + STREAM_LIMITS.framesPerSecond);
    expect(reads).toBeLessThanOrEqual(3);
    // Nothing lost, everything answered, stalls bounded by the runtime's floor (before: 13+ min).
    expect(w.watch.gaps).toBe(0);
    expect(w.health.failed).toBe(0);
    expect(w.result.closedAfterMs).toBeLessThan(CLOSE_MS);
    expect(w.watch.longestSilenceMs).toBeLessThan(FLOOR_BOUNDS.stallMs);
    expect(w.health.worstMs).toBeLessThan(FLOOR_BOUNDS.stallMs);
    // …and recovered: right after, the subscriber and the API are back within the strict bounds.
    const after = await underWatch(SYMBOL, async () => null);
    report(`${label}, recovered`, after);
    expectUnharmed(after);
    return rssMiB;
  }

  it('is closed with 4008, reads D1 for snapshots at most 3 times, loses nothing, and the platform recovers', async () => {
    firstPlateau = (await bigFlood('subscribe flood 10,000')) ?? 0;
  }, 120_000);

  it("a second one leaves workerd's memory where the first left it (the runtime's high-water mark, not a leak)", async () => {
    await bigFlood('subscribe flood 10,000, again');
    const rss = workerdRssMiB();
    const { start, peak } = memory.stop();
    // Reported, not asserted (workerd keeps its high-water mark; docs/streaming.md, "Abuse"): 10 s of
    // idle is enough to see it stay, and keeps the suite's time down.
    const after = start === null ? null : await memoryAfter(start, 0.2, 10_000);
    console.log(
      `[abuse] workerd RSS MiB: ${JSON.stringify({ before: start, peak, afterFirstFlood: firstPlateau, afterSecondFlood: rss, after10sIdle: after })}`,
    );
    if (rss === null || firstPlateau === 0) return; // no /proc: nothing to compare
    expect(rss).toBeLessThanOrEqual(firstPlateau * 1.25);
  }, 150_000);
});

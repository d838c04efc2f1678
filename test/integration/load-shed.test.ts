import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setFaults } from '../../platform/d1/faults';
import { InFlightGuard, OverloadedError } from '../../platform/load-shed';
import { parseExposition, sampleSum } from '../../platform/metrics/prometheus-text';
import worker from '../../workers/index';
import { captureLogs, LogLine, makeKey, seedSymbols } from './helpers';

describe('InFlightGuard', () => {
  it('admits up to its limit, lets a newcomer wait for a freed slot, and refuses past the wait', async () => {
    const guard = new InFlightGuard({ maxInFlight: 2, maxWaitMs: 5_000 });
    const a = guard.acquire();
    const b = guard.acquire();
    expect(typeof a).toBe('function');
    expect(typeof b).toBe('function');
    expect(guard.inFlight).toBe(2);
    const waiting = guard.acquire();
    expect(guard.waiting).toBe(1);
    (a as () => void)();
    (a as () => void)(); // releasing twice frees one slot only
    const c = await waiting;
    expect(typeof c).toBe('function');
    expect(guard.inFlight).toBe(2);

    const short = new InFlightGuard({ maxInFlight: 1, maxWaitMs: 20 });
    const held = short.acquire();
    expect(await short.acquire()).toBeNull();
    expect(short.shed).toBe(1);
    (held as () => void)();
    expect(short.inFlight).toBe(0);
  });

  it('refuses at once when the wait queue is full or no wait is allowed', async () => {
    const noWait = new InFlightGuard({ maxInFlight: 1, maxWaitMs: 0 });
    noWait.acquire();
    expect(noWait.acquire()).toBeNull();
    const queue = new InFlightGuard({ maxInFlight: 1, maxWaitMs: 10_000, maxQueue: 1 });
    queue.acquire();
    void queue.acquire();
    expect(queue.acquire()).toBeNull();
    expect(queue.waiting).toBe(1);
  });

  it('run() throws OverloadedError when refused and frees its slot when the work fails', async () => {
    const guard = new InFlightGuard({ maxInFlight: 1, maxWaitMs: 0 });
    let finish: () => void = () => {};
    const first = guard.run('room X', () => new Promise<string>((r) => (finish = () => r('done'))));
    await expect(guard.run('room X', async () => 'second')).rejects.toBeInstanceOf(OverloadedError);
    finish();
    expect(await first).toBe('done');
    await expect(
      guard.run('room X', async () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(guard.inFlight).toBe(0);
  });
});

describe('a standing queue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses newcomers at once while waiters have stood longer than a full wait, and lets them wait again once it drained', async () => {
    vi.useFakeTimers();
    const guard = new InFlightGuard({ maxInFlight: 1, maxWaitMs: 100, maxQueue: 8 });
    const held = guard.acquire() as () => void;
    // A burst: newcomers wait for the slot (promises), one every 40 ms, so the queue never empties.
    const waits = [guard.acquire()];
    for (let i = 0; i < 2; i++) {
      await vi.advanceTimersByTimeAsync(40);
      waits.push(guard.acquire());
    }
    expect(waits.every((w) => w instanceof Promise)).toBe(true);
    expect(guard.standingQueue).toBe(false); // 80 ms: not longer than a full wait yet
    await vi.advanceTimersByTimeAsync(30);
    // 110 ms of waiters without a break: sustained overload. The first waiter was refused at
    // 100 ms; a newcomer now is refused synchronously, with no wait and no timer.
    expect(guard.standingQueue).toBe(true);
    expect(guard.waiting).toBe(2);
    const shedBefore = guard.shed;
    expect(guard.acquire()).toBeNull();
    expect(guard.shed).toBe(shedBefore + 1);
    expect(guard.waiting).toBe(2);

    // The waiters leave (a slot for the head, a refusal for the other); the queue drained.
    held();
    await vi.advanceTimersByTimeAsync(100);
    const outcomes = await Promise.all(waits);
    expect(outcomes.map((o) => (o === null ? 'refused' : 'slot'))).toEqual(['refused', 'slot', 'refused']);
    expect(guard.waiting).toBe(0);
    expect(guard.standingQueue).toBe(false);
    // Full again, but no standing queue: a newcomer waits as before, and gets the freed slot.
    const next = guard.acquire();
    expect(next).toBeInstanceOf(Promise);
    (outcomes[1] as () => void)();
    await vi.advanceTimersByTimeAsync(5);
    expect(typeof (await next)).toBe('function');
  });
});

describe('adaptive limit', () => {
  const work = (guard: InFlightGuard, ms: number) =>
    guard.run('test', () => new Promise<void>((r) => setTimeout(r, ms)));

  it('shrinks while the median duration exceeds the target and grows back once work is fast again', async () => {
    const guard = new InFlightGuard({ maxInFlight: 8, maxWaitMs: 0, targetMs: 20, minInFlight: 2 });
    expect(guard.limit).toBe(8);
    for (let i = 0; i < 16; i++) await work(guard, 60);
    expect(guard.limit).toBe(5);
    for (let i = 0; i < 32; i++) await work(guard, 60);
    expect(guard.limit).toBe(2); // the floor
    // At the shrunk limit, a third concurrent piece of work is refused.
    const held = [work(guard, 50), work(guard, 50)];
    await expect(work(guard, 1)).rejects.toBeInstanceOf(OverloadedError);
    await Promise.all(held);
    for (let i = 0; i < 16; i++) await work(guard, 0);
    expect(guard.limit).toBe(3);
  });
});

describe('the API sheds load past LOAD_SHED_MAX_INFLIGHT', () => {
  let key: string;
  beforeAll(async () => {
    await seedSymbols();
    key = await makeKey(['read']);
  });
  afterEach(async () => {
    await setFaults(env, null);
  });

  const saturated = {
    ...env,
    LOAD_SHED_MAX_INFLIGHT: '1',
    LOAD_SHED_MAX_WAIT_MS: '0',
    LOAD_SHED_TARGET_MS: '0',
  };
  const call = (path: string, auth: boolean | string = true, vars: Record<string, string> = {}) =>
    worker.fetch(
      new Request(`http://skippy.test${path}`, {
        headers: auth ? { authorization: `Bearer ${auth === true ? key : auth}` } : {},
      }) as Request<unknown, IncomingRequestCfProperties>,
      { ...saturated, ...vars },
      createExecutionContext(),
    );
  /** Every D1 call takes 1.5 s: a first request holds the only slot meanwhile (`slow`: its answer). */
  const holdTheSlot = async () => {
    await setFaults(env, {
      d1ErrorRate: 0,
      d1LatencyMs: 1_500,
      consumerCrashRate: 0,
      expiresAt: Date.now() + 60_000,
    });
    const slow = call('/api/v1/symbols');
    await new Promise((r) => setTimeout(r, 100));
    return { slow };
  };

  it('answers 503 overloaded with Retry-After in the error shape while the slot is held; health still answers', async () => {
    const { slow } = await holdTheSlot();

    const shed = await call('/api/v1/symbols');
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.headers.get('x-content-type-options')).toBe('nosniff');
    const body = (await shed.json()) as { error: Record<string, unknown> };
    expect(body.error).toEqual({
      code: 'overloaded',
      message: expect.any(String),
      details: { retryAfterSeconds: 1 },
      traceId: shed.headers.get('x-trace-id'),
    });
    // Shed before authentication: even a request without a key gets 503, not 401.
    expect((await call('/api/v1/symbols', false)).status).toBe(503);
    // Liveness is exempt.
    expect((await call('/api/health', false)).status).toBe(200);

    expect((await slow).status).toBe(200);
    await setFaults(env, null);
    expect((await call('/api/v1/symbols')).status).toBe(200);
  });

  it("logs a shed request's line at info, marked shed, not at error (an error line each would multiply the overload)", async () => {
    const { slow } = await holdTheSlot();
    const lines = captureLogs();
    const shed = await call('/api/v1/symbols', true, { LOG_LEVEL: 'info' });
    vi.restoreAllMocks();
    expect(shed.status).toBe(503);
    const traceId = shed.headers.get('x-trace-id');
    const mine = lines
      .map((l) => LogLine.parse(JSON.parse(l)))
      .filter((l) => l.traceId === traceId && l.message === 'request');
    expect(mine).toEqual([expect.objectContaining({ level: 'info', status: 503, shed: true })]);
    expect((await slow).status).toBe(200);
    await setFaults(env, null);
  });

  it('counts refusals and reports the limit, slots in flight and waiters in /metrics (skippy_load_shed_*)', async () => {
    // The metrics token, not an admin key: a key is looked up in D1, which holdTheSlot slows down.
    const token = 'metrics-token-for-the-load-shed-test';
    const scrape = async () => {
      const res = await call('/metrics', token, { METRICS_TOKEN: token });
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };
    type Samples = Awaited<ReturnType<typeof scrape>>;
    // Flushes ride on waitUntil; a scrape may precede the last one, so read again until it lands.
    const scrapeUntil = async (done: (s: Samples) => boolean) => {
      let samples = await scrape();
      for (let i = 0; i < 20 && !done(samples); i++) {
        await new Promise((r) => setTimeout(r, 50));
        samples = await scrape();
      }
      return samples;
    };
    const gauge = (samples: Samples, name: string) => sampleSum(samples, name, { guard: 'api' });
    const refused = (samples: Samples) => gauge(samples, 'skippy_load_shed_refused_total');
    const before = refused(await scrape());

    const { slow } = await holdTheSlot();
    // The scrape is exempt from shedding, so it sees the held slot.
    const during = await scrapeUntil((x) => gauge(x, 'skippy_load_shed_in_flight') === 1);
    expect(gauge(during, 'skippy_load_shed_in_flight')).toBe(1);
    for (let i = 0; i < 3; i++) expect((await call('/api/v1/symbols')).status).toBe(503);
    expect((await slow).status).toBe(200);
    await setFaults(env, null);

    const after = await scrapeUntil(
      (x) => refused(x) - before >= 3 && gauge(x, 'skippy_load_shed_in_flight') === 0,
    );
    expect(refused(after) - before).toBe(3);
    expect(gauge(after, 'skippy_load_shed_limit')).toBe(1);
    expect(gauge(after, 'skippy_load_shed_in_flight')).toBe(0);
    expect(gauge(after, 'skippy_load_shed_waiting')).toBe(0);
  });
});

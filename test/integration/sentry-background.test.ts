import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { setFaults } from '../../platform/d1/faults';
import { reportBackgroundError } from '../../platform/sentry';
import worker from '../../workers/index';

/**
 * Errors outside HTTP requests (queue consumers, cron) reach Sentry: a D1 failure injected through
 * the real fault switch makes the real handlers fail, and the envelope sent is inspected.
 */
const DSN = 'https://publickey@sentry.skippy.test/7';
/** SENTRY_DSN is a secret, absent from the generated Env type. */
const secrets: Record<string, string> = { SENTRY_DSN: DSN };
const dsnEnv = { ...env, ...secrets };

const SentryEvent = z.object({
  release: z.string(),
  environment: z.string(),
  tags: z.record(z.string(), z.string()),
  exception: z.object({ values: z.array(z.object({ type: z.string(), value: z.string() })) }),
});
type SentryEvent = z.infer<typeof SentryEvent>;

/** Intercepts fetches to the Sentry host and returns the events they carried. */
function captureSentry(): SentryEvent[] {
  const realFetch = globalThis.fetch;
  const events: SentryEvent[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('https://sentry.skippy.test/')) return realFetch(input, init);
    const body = await new Response(init?.body).text();
    for (const line of body.split('\n').filter(Boolean)) {
      const parsed = SentryEvent.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    }
    return new Response('{}', { status: 200 });
  });
  return events;
}

async function failD1(): Promise<void> {
  await setFaults(env, {
    d1ErrorRate: 1,
    d1LatencyMs: 0,
    consumerCrashRate: 0,
    expiresAt: Date.now() + 60_000,
  });
}

afterEach(async () => {
  vi.restoreAllMocks();
  await setFaults(env, null);
});

describe('background errors reach Sentry', () => {
  it.each([
    ['skippy-backtests', { jobId: 'bt_missing', traceId: 'trace-q' }],
    ['skippy-training', { jobId: 'tj_1', symbol: 'AAPL', horizon: '1d' }],
  ])('a %s consumer failure is retried and reported, tagged with the queue', async (queue, body) => {
    const events = captureSentry();
    await failD1();
    const batch = createMessageBatch(queue, [{ id: `m-${queue}`, timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, dsnEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([{ msgId: `m-${queue}` }]);
    expect(result.explicitAcks).toEqual([]);
    const reported = events.filter((e) => e.tags.component === 'queue');
    expect(reported).toHaveLength(1);
    expect(reported[0]?.tags.name).toBe(queue);
    expect(reported[0]?.environment).toBe('local');
    expect(reported[0]?.release).toMatch(/^skippy@/);
    expect(reported[0]?.exception.values[0]?.value).toContain('Injected fault: d1');
  });

  it('a failing cron job is reported per job, and the other job still runs', async () => {
    const events = captureSentry();
    await failD1();
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }),
      dsnEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const cron = events.filter((e) => e.tags.component === 'cron');
    expect(cron.map((e) => e.tags.name).sort()).toEqual(['backtest-reaper', 'retraining']);
    for (const e of cron) expect(e.exception.values[0]?.value).toContain('Injected fault: d1');
  });

  it('sends nothing without SENTRY_DSN, and never throws when sending fails', async () => {
    const events = captureSentry();
    await failD1();
    const batch = createMessageBatch('skippy-training', [
      {
        id: 'm-off',
        timestamp: new Date(),
        attempts: 1,
        body: { jobId: 'tj_2', symbol: 'AAPL', horizon: '1h' },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).retryMessages).toHaveLength(1);
    expect(events).toHaveLength(0);

    vi.restoreAllMocks();
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('network down'));
    const pending: Array<Promise<unknown>> = [];
    const id = reportBackgroundError(dsnEnv, new Error('boom'), {
      component: 'test',
      waitUntil: (p) => pending.push(p),
    });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await Promise.allSettled(pending);
    expect(reportBackgroundError(dsnEnv, undefined, { component: 'test' })).not.toBeNull();
  });
});

import { createMiddleware } from 'hono/factory';
import { config } from '../../platform/config';
import { ApiError, toErrorBody } from '../../platform/errors';
import { InFlightGuard, reportGuard } from '../../platform/load-shed';
import type { AppEnv } from '../app-env';

/** Seconds a shed client is asked to wait: long enough for a queue of ~100 ms to drain. */
export const SHED_RETRY_AFTER_SECONDS = 1;

/** Liveness and scrapes must answer while the API sheds, or an overload would look like an outage. */
function isExempt(path: string): boolean {
  return path === '/metrics' || path === '/api/health' || path.startsWith('/api/health/');
}

// One guard per isolate (requests of one isolate share its thread); rebuilt only if the config changes.
let guard: { key: string; guard: InFlightGuard } | null = null;

function guardFor(env: Env): InFlightGuard {
  const cfg = config(env);
  const key = `${cfg.LOAD_SHED_MAX_INFLIGHT}/${cfg.LOAD_SHED_MAX_WAIT_MS}/${cfg.LOAD_SHED_TARGET_MS}`;
  if (guard?.key !== key) {
    guard = {
      key,
      guard: new InFlightGuard({
        maxInFlight: cfg.LOAD_SHED_MAX_INFLIGHT,
        maxWaitMs: cfg.LOAD_SHED_MAX_WAIT_MS,
        targetMs: cfg.LOAD_SHED_TARGET_MS,
      }),
    };
    reportGuard('api', guard.guard);
  }
  return guard.guard;
}

/** The isolate's guard, for tests and diagnostics. */
export function loadShedGuard(env: Env): InFlightGuard {
  return guardFor(env);
}

/**
 * Graceful overload: at most LOAD_SHED_MAX_INFLIGHT requests run at once in this isolate (fewer
 * while their median duration exceeds LOAD_SHED_TARGET_MS: queueing in the runtime, before any
 * JavaScript sees a request, shows up as slower requests, so the limit follows it); a
 * request past that waits at most LOAD_SHED_MAX_WAIT_MS for a slot and is otherwise answered
 * 503 `overloaded` with `Retry-After` at once, before authentication (which costs a D1 read).
 * Answered here rather than thrown, so a shed request costs no error log beyond its request line.
 */
export function loadShed() {
  return createMiddleware<AppEnv>(async (c, next) => {
    // WebSocket upgrades hold no slot worth counting (done at the 101); the gateways admit sockets.
    if (isExempt(c.req.path) || c.req.header('upgrade')?.toLowerCase() === 'websocket') return next();
    const release = await guardFor(c.env).acquire();
    if (!release) {
      const traceId = c.get('traceId') ?? 'unknown';
      c.set('shed', true);
      const err = new ApiError('overloaded', 'The API is at capacity; retry after the Retry-After delay.', {
        details: { retryAfterSeconds: SHED_RETRY_AFTER_SECONDS },
      });
      return c.json(toErrorBody(err, traceId), 503, {
        'retry-after': String(SHED_RETRY_AFTER_SECONDS),
        'x-trace-id': traceId,
      });
    }
    try {
      await next();
    } finally {
      release();
    }
  });
}

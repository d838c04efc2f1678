import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { cached } from '../../platform/cache';
import { CircuitBreaker, CircuitOpenError } from '../../platform/d1/circuit-breaker';
import {
  ApiError,
  DependencyError,
  dependency,
  isDependencyFailure,
  toErrorBody,
} from '../../platform/errors';
import { createApp } from '../../workers/app';

/**
 * The error boundary (docs/architecture.md): only a tagged dependency failure may be answered
 * from a stale copy or as 503; a plain error is a bug and surfaces as itself (a 500 at the edge).
 */
const deps = (name: string) => ({ kv: env.CACHE, waitUntil: (p: Promise<unknown>) => void p, name });
const policy = { freshMs: 0, memory: true, keepSeconds: 60 };

async function warm(key: string): Promise<void> {
  const first = await cached(deps('boundary'), key, { ...policy, freshMs: 60_000 }, async () => 'v1');
  expect(first.value).toBe('v1');
}

describe('error boundary', () => {
  it('serves a stale copy when a tagged dependency fails', async () => {
    const key = `v1:test:boundary:${crypto.randomUUID()}`;
    await warm(key);
    const r = await cached(deps('boundary'), key, policy, () =>
      dependency('d1', async () => {
        throw new Error('D1_ERROR: network connection lost');
      }),
    );
    expect(r).toMatchObject({ value: 'v1', stale: true, cache: 'stale' });
  });

  it('never hides a bug in a loader behind a stale copy', async () => {
    const key = `v1:test:boundary:${crypto.randomUUID()}`;
    await warm(key);
    const bug = cached(deps('boundary'), key, policy, async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'close')");
    });
    await expect(bug).rejects.toBeInstanceOf(TypeError);
  });

  it('answers 503 for a dependency failure without a copy, keeping the cause', async () => {
    const key = `v1:test:boundary:${crypto.randomUUID()}`;
    const cause = new Error('KV unreachable');
    const err = await cached(deps('boundary'), key, policy, () =>
      Promise.reject(new DependencyError('kv', 'kv failed', { cause })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect(((err as ApiError).cause as DependencyError).cause).toBe(cause);
  });

  it('tags failures inside a circuit breaker, and an ApiError passes through untouched', async () => {
    const breaker = new CircuitBreaker('symbol-room', { failureThreshold: 2, openMs: 60_000 });
    const notFound = new ApiError('unknown_symbol', 'Unknown symbol ZZZ.');
    await expect(breaker.call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    const plain = await breaker.call(() => Promise.reject(new Error('stub reset'))).catch((e: unknown) => e);
    expect(isDependencyFailure(plain)).toBe(true);
    expect((plain as DependencyError).dependency).toBe('symbol-room');
    await breaker.call(() => Promise.reject(new Error('again'))).catch(() => {});
    await expect(breaker.call(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(isDependencyFailure(new TypeError('bug'))).toBe(false);
  });

  it('maps one vocabulary at the HTTP edge: unknown_symbol is a 404 `not_found` on the wire', () => {
    const body = toErrorBody(new ApiError('unknown_symbol', 'Unknown symbol ZZZ.'), 't');
    expect(body.error.code).toBe('not_found');
    expect(new ApiError('unknown_symbol', 'x').status).toBe(404);
  });

  it('answers a bug as a generic 500 and a tagged dependency failure as 503 at the HTTP edge', async () => {
    const app = createApp();
    app.get('/__test/bug', () => {
      throw new TypeError('a plain bug');
    });
    app.get('/__test/outage', () => {
      throw new DependencyError('d1', 'd1 failed', { cause: new Error('D1_ERROR') });
    });
    const bug = await app.request('/__test/bug', {}, env);
    expect(bug.status).toBe(500);
    const bugBody = (await bug.json()) as { error: { code: string; message: string } };
    expect(bugBody.error.code).toBe('internal');
    expect(bugBody.error.message).not.toContain('plain bug');
    const outage = await app.request('/__test/outage', {}, env);
    expect(outage.status).toBe(503);
    expect(((await outage.json()) as { error: { code: string } }).error.code).toBe('dependency_failed');
  });
});

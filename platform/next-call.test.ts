import { describe, expect, it } from 'vitest';
import { NextCall } from './next-call';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

describe('NextCall', () => {
  it('gives callers that arrive during a call the next call, started after they arrived', async () => {
    const next = new NextCall<number>();
    const calls: Array<ReturnType<typeof deferred<number>>> = [];
    const call = () => {
      const d = deferred<number>();
      calls.push(d);
      return d.promise;
    };
    const first = next.run('k', call);
    const second = next.run('k', call);
    const third = next.run('k', call);
    expect(calls).toHaveLength(1); // the later two wait for the next call, not the one in flight
    calls[0]!.resolve(1);
    expect(await first).toBe(1);
    expect(calls).toHaveLength(2);
    const fourth = next.run('k', call); // arrives while the second call runs: waits for a third
    calls[1]!.resolve(2);
    expect(await Promise.all([second, third])).toEqual([2, 2]);
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(3);
    expect(await fourth).toBe(3);
    await new Promise((r) => setTimeout(r, 0));
    expect(next.size).toBe(0);
  });

  it('keeps keys apart and passes a failure to exactly the callers of that call', async () => {
    const next = new NextCall<string>();
    const a = deferred<string>();
    const b = deferred<string>();
    const pa = next.run('a', () => a.promise);
    const pb = next.run('b', () => b.promise);
    const thrown = next.run('c', () => {
      throw new Error('sync');
    });
    a.reject(new Error('down'));
    b.resolve('ok');
    await expect(pa).rejects.toThrow('down');
    await expect(pb).resolves.toBe('ok');
    await expect(thrown).rejects.toThrow('sync');
    await expect(next.run('a', async () => 'again')).resolves.toBe('again');
  });
});

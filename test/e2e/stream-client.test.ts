import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StreamClient, type StreamEvent, type StreamMessage } from '../../client';
import { baseUrl, call, demoKey } from './helpers';
import { consecutive, publish } from './stream-support';

const clients: StreamClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function client(opts: Partial<ConstructorParameters<typeof StreamClient>[0]> = {}): StreamClient {
  const c = new StreamClient({
    url: `${baseUrl().replace(/^http/, 'ws')}/api/v1/stream`,
    apiKey: demoKey('read'),
    WebSocket,
    backoff: { initialMs: 50, maxMs: 500 },
    snapshotBars: 0,
    ...opts,
  });
  clients.push(c);
  return c;
}

function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      const v = check();
      if (v) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('TypeScript client against wrangler dev', () => {
  it('subscribes, delivers typed messages, and after a dropped connection resumes with no gap and no duplicate', async () => {
    const symbol = 'AAPL';
    const c = client();
    const got: StreamMessage[] = [];
    const states: string[] = [];
    c.on('message', (e) => got.push(e.message));
    c.on('state', (e) => states.push(e.state));
    c.subscribe([symbol]);
    c.connect();
    await waitFor(() => c.lastSeq(symbol) !== undefined, 'snapshot');
    const start = c.lastSeq(symbol) ?? 0;
    const { lastSeq: a } = await publish(symbol, 10);
    await waitFor(() => (c.lastSeq(symbol) ?? 0) >= a, 'first batch');

    c.reconnect();
    const { lastSeq: b } = await publish(symbol, 10); // published while reconnecting
    await waitFor(() => c.state === 'open', 'reopen');
    const { lastSeq: d } = await publish(symbol, 10);
    await waitFor(() => (c.lastSeq(symbol) ?? 0) >= d, 'after reconnect');
    expect(b).toBeLessThan(d);
    const list = got.map((m) => m.seq);
    expect(list[0]).toBe(start + 1);
    expect(consecutive(list)).toBe(true);
    expect(list.at(-1)).toBe(d);
    expect(states).toContain('reconnecting');
  });

  it('works as an async iterator with a browser-style ticket per connection', async () => {
    const symbol = 'MSFT';
    const c = client({
      apiKey: undefined,
      getTicket: async () => {
        const res = await call('/api/v1/stream/ticket', { method: 'POST', key: demoKey('read') });
        return ((await res.json()) as { ticket: string }).ticket;
      },
    });
    c.subscribe([symbol], ['trades']);
    c.connect();
    const seen: StreamEvent[] = [];
    let published = 0;
    for await (const e of c) {
      seen.push(e);
      if (e.type === 'snapshot') published = (await publish(symbol, 6)).lastSeq;
      // Six ticks alternate trade and quote: three trades (the forming-bar update is not subscribed).
      if (published > 0 && seen.filter((x) => x.type === 'message').length >= 3) break;
    }
    const trades = seen.flatMap((e) => (e.type === 'message' ? [e.message] : []));
    expect(trades).toHaveLength(3);
    expect(trades.every((m) => m.type === 'trade')).toBe(true);
  });

  it('retries with backoff while the handshake is refused, until closed', async () => {
    const c = client({ apiKey: 'sk_invalid' });
    c.connect();
    await waitFor(() => c.state === 'reconnecting', 'a failed attempt');
    c.close();
    expect(c.state).toBe('closed');
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { instrument } from '../../engine/market/catalog';
import { PublishAck, PublishError } from '../../schema/contracts/ingest';
import { baseUrl, call, demoKey } from './helpers';
import { seqs, TestSocket } from './stream-support';

type Answer = PublishAck | PublishError;

/** A raw publisher socket on `GET /api/v1/ingest/stream` that collects answers by id. */
class Publisher {
  readonly answers = new Map<string, Answer>();
  readonly unidentified: PublishError[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, r) => resolve({ code, reason: r.toString() })),
    );
    ws.on('message', (data) => {
      const raw = JSON.parse(data.toString()) as { type: string };
      if (raw.type === 'ack') {
        const a = PublishAck.parse(raw);
        this.answers.set(a.id, a);
      } else if (raw.type === 'error') {
        const e = PublishError.parse(raw);
        if (e.id === undefined) this.unidentified.push(e);
        else this.answers.set(e.id, e);
      }
      for (const w of this.#waiters) w();
    });
  }

  static async open(key = demoKey('ingest')): Promise<Publisher> {
    const ws = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}/api/v1/ingest/stream`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const p = new Publisher(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return p;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async answer(id: string, timeoutMs = 15_000): Promise<Answer> {
    return this.#until(() => this.answers.get(id), `answer ${id}`, timeoutMs);
  }

  async #until<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const v = check();
    if (v !== undefined) return v;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const w = () => {
        const x = check();
        if (x === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(w);
        resolve(x);
      };
      this.#waiters.add(w);
    });
  }

  async unidentifiedError(): Promise<PublishError> {
    return this.#until(() => this.unidentified.shift(), 'an error without id', 15_000);
  }
}

const trades = (symbol: string, prices: number[]) =>
  prices.map((price, i) => ({
    type: 'trade' as const,
    symbol,
    sourceId: `pub-${randomUUID()}`,
    ts: Date.now() + i,
    price,
    size: 1,
  }));

/** A price `k` tenths of a percent above the symbol's seeded price: inside the ingest price band. */
const near = (symbol: string, k: number) => instrument(symbol)!.price * (1 + k / 1000);

const open: { close(): void }[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/**
 * The trades of `symbol` after seq `after` once `count` of them have arrived. Not `untilSeq` with
 * an ack's `lastSeq`: a batch's last seq may be a bar message (a forming-bar update, or the bar a
 * minute boundary closed), which a trades subscriber never receives.
 */
const tradesAfter = (sub: TestSocket, symbol: string, after: number, count: number) =>
  sub.until(() => {
    const got = sub.messages(symbol).filter((m) => m.type === 'trade' && m.seq > after);
    return got.length >= count ? got : undefined;
  }, `${count} ${symbol} trades after seq ${after}`);

/** A trades subscriber of `symbols` (with each snapshot's seq) and a publisher socket. */
async function subscriberAndPublisher(symbols: readonly string[]) {
  const sub = await TestSocket.open();
  open.push(sub);
  await sub.next('welcome');
  sub.send({ type: 'subscribe', id: 's', symbols: [...symbols], channels: ['trades'], bars: 0 });
  const snaps = new Map<string, number>();
  for (const symbol of symbols)
    snaps.set(symbol, (await sub.next('snapshot', (f) => f.symbol === symbol)).seq);
  const pub = await Publisher.open();
  open.push(pub.ws);
  return { sub, snaps, pub };
}

describe('publisher socket (GET /api/v1/ingest/stream)', () => {
  it('refuses an upgrade without an ingest key: no key 401, read-only key 403', async () => {
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}/api/v1/ingest/stream`, { headers });
        ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('error', () => {});
      });
    expect(await status({})).toBe(401);
    expect(await status({ authorization: `Bearer ${demoKey('read')}` })).toBe(403);
    const plain = await call('/api/v1/ingest/stream', { key: demoKey('ingest') });
    expect(plain.status).toBe(400);
  });

  it('sequences frames in the order sent, acks each by id, and subscribers get every tick once', async () => {
    const symbol = 'EURUSD';
    const { sub, snaps, pub } = await subscriberAndPublisher([symbol]);
    const snap = { seq: snaps.get(symbol)! };
    // Pipelined: all frames go out before the first answer arrives.
    const frames = Array.from({ length: 20 }, (_, k) => ({
      type: 'ticks',
      id: `f${k}`,
      ticks: trades(symbol, [1.1 + k / 1000, 1.1 + k / 1000 + 0.0001]),
    }));
    for (const f of frames) pub.send(f);
    const acks = await Promise.all(frames.map((f) => pub.answer(f.id)));
    const lastSeqs = acks.map((a) => {
      expect(a.type).toBe('ack');
      if (a.type !== 'ack') return 0;
      expect(a.accepted).toBe(2);
      expect(a.duplicates).toBe(0);
      return a.symbols[symbol]!.lastSeq;
    });
    // In order: each frame's trades right after the previous frame's (a forming-bar update, at
    // most one a second, may take one more seq).
    for (let k = 1; k < lastSeqs.length; k++) expect(lastSeqs[k]! - lastSeqs[k - 1]!).toBeOneOf([2, 3]);
    const last = lastSeqs.at(-1)!;
    const ours = await tradesAfter(sub, symbol, snap.seq, frames.length * 2);
    expect(Math.max(...seqs(ours))).toBeLessThanOrEqual(last);
    const order = seqs(ours);
    expect(order).toEqual([...new Set(order)].sort((a, b) => a - b));
    expect(ours.map((m) => (m.type === 'trade' ? m.price : 0))).toEqual(
      frames.flatMap((f) => f.ticks.map((t) => t.price)),
    );

    // A resent frame is answered again, as duplicates, and nothing new reaches subscribers.
    pub.send({ ...frames[0], id: 'again' });
    const again = await pub.answer('again');
    expect(again.type === 'ack' && again.duplicates).toBe(2);
    expect(again.type === 'ack' && again.accepted).toBe(0);
  });

  it('keeps each symbol in the order sent when pipelined frames interleave symbols', async () => {
    const symbols = ['DOGE-USD', 'EURUSD'] as const;
    const { sub, snaps, pub } = await subscriberAndPublisher(symbols);
    // Frame k: one symbol, the other, or both in one frame; all sent before any answer.
    const frames = Array.from({ length: 30 }, (_, k) => {
      const which = k % 3 === 2 ? symbols : [symbols[k % 3]!];
      return { type: 'ticks', id: `i${k}`, ticks: which.flatMap((s) => trades(s, [near(s, k)])) };
    });
    for (const f of frames) pub.send(f);
    const acks = await Promise.all(frames.map((f) => pub.answer(f.id)));
    for (const a of acks) expect(a.type).toBe('ack');
    for (const symbol of symbols) {
      const last = Math.max(...acks.map((a) => (a.type === 'ack' ? (a.symbols[symbol]?.lastSeq ?? 0) : 0)));
      const sent = frames.flatMap((f) => f.ticks.filter((t) => t.symbol === symbol).map((t) => t.price));
      const got = await tradesAfter(sub, symbol, snaps.get(symbol) ?? 0, sent.length);
      expect(Math.max(...seqs(got))).toBeLessThanOrEqual(last);
      expect(got.map((m) => (m.type === 'trade' ? m.price : 0))).toEqual(sent);
    }
  });

  it('answers every pipelined frame across a room restart; resending the failed ones loses nothing', async () => {
    const symbol = 'SOL-USD';
    const { sub, snaps, pub } = await subscriberAndPublisher([symbol]);
    const snap = { seq: snaps.get(symbol)! };
    const frames = Array.from({ length: 40 }, (_, k) => ({
      type: 'ticks',
      id: `r${k}`,
      ticks: trades(symbol, [near(symbol, k)]),
    }));
    for (const f of frames.slice(0, 20)) pub.send(f);
    // The room crashes while frames are in flight to it (its stub in the session breaks with it).
    const restart = call(`/api/v1/admin/rooms/${symbol}/restart`, { method: 'POST', key: demoKey('admin') });
    for (const f of frames.slice(20)) pub.send(f);
    expect((await restart).status).toBe(200);
    let pending = frames;
    let lastSeq = 0;
    for (let round = 0; pending.length > 0 && round < 5; round++) {
      const answers = await Promise.all(pending.map((f) => pub.answer(f.id)));
      const failed: typeof frames = [];
      answers.forEach((a, i) => {
        if (a.type === 'ack') lastSeq = Math.max(lastSeq, a.symbols[symbol]?.lastSeq ?? 0);
        else {
          expect(a.status).toBe(503);
          failed.push({ ...pending[i]!, id: `${pending[i]!.id}-again${round}` });
        }
      });
      for (const f of failed) pub.send(f);
      pending = failed;
    }
    expect(pending).toEqual([]);
    const got = await tradesAfter(sub, symbol, snap.seq, frames.length);
    expect(Math.max(...seqs(got))).toBeLessThanOrEqual(lastSeq);
    const prices = got.map((m) => (m.type === 'trade' ? m.price : 0)).sort((a, b) => a - b);
    expect(prices).toEqual(frames.map((f) => f.ticks[0]!.price));
  });

  it('answers bad frames with the API error shape by id and keeps the socket working', async () => {
    const pub = await Publisher.open();
    open.push(pub.ws);
    pub.send('{not json');
    const notJson = await pub.unidentifiedError();
    expect(notJson.status).toBe(400);
    expect(notJson.error.code).toBe('invalid_json');
    expect(notJson.error.traceId).toMatch(/^[0-9a-f]{32}$/);

    pub.send({ type: 'ticks', id: 'bad', ticks: [{ type: 'trade', symbol: 'EURUSD', price: -1 }] });
    const bad = await pub.answer('bad');
    expect(bad.type === 'error' && bad.error.code).toBe('validation_failed');
    expect(bad.type === 'error' && bad.status).toBe(400);

    pub.send({ type: 'ticks', id: 'unknown', ticks: [...trades('EURUSD', [1.2]), ...trades('NOPE', [1])] });
    const unknown = await pub.answer('unknown');
    expect(unknown.type === 'error' && unknown.error.code).toBe('not_found');
    expect(unknown.type === 'error' && unknown.status).toBe(404);

    pub.send({ type: 'hello', id: 'type' });
    expect((await pub.answer('type')).type).toBe('error');

    pub.send({ type: 'ticks', id: 'ok', ticks: trades('EURUSD', [1.08]) });
    const ok = await pub.answer('ok');
    expect(ok.type === 'ack' && ok.accepted).toBe(1);
  });

  it('closes with 1009 on an oversized frame', async () => {
    const pub = await Publisher.open();
    pub.send({ type: 'ticks', id: 'big', ticks: [], pad: 'x'.repeat(600 * 1024) });
    expect((await pub.closed).code).toBe(1009);
  });

  it('stops a connected publisher whose key is revoked (close 4001 within the re-check interval)', async () => {
    const admin = demoKey('admin');
    const created = await call('/api/v1/admin/keys', {
      method: 'POST',
      key: admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `publisher-${randomUUID()}`, scopes: ['ingest'] }),
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    const pub = await Publisher.open(key);
    open.push(pub.ws);
    pub.send({ type: 'ticks', id: 'before', ticks: trades('EURUSD', [1.08]) });
    expect((await pub.answer('before')).type).toBe('ack');
    const revoked = await call(`/api/v1/admin/keys/${id}`, { method: 'DELETE', key: admin });
    expect(revoked.status).toBe(200);
    // The re-check runs at most every 5 s: keep publishing until the socket is refused.
    let n = 0;
    const closed = await Promise.race([
      pub.closed,
      (async () => {
        for (;;) {
          if (pub.ws.readyState !== WebSocket.OPEN) return pub.closed;
          pub.send({ type: 'ticks', id: `after-${n++}`, ticks: trades('EURUSD', [1.08]) });
          await new Promise((r) => setTimeout(r, 500));
        }
      })(),
    ]);
    expect(closed.code).toBe(4001);
    expect(n).toBeLessThan(30);
    const refusal = pub.unidentified.find((e) => e.error.code === 'unauthorized');
    expect(refusal?.status).toBe(401);
  }, 30_000);

  it("counts a key's frames against its own budget (600 a minute on standard) and answers the rest rate_limited by id; REST still answers", async () => {
    const admin = demoKey('admin');
    const created = await call('/api/v1/admin/keys', {
      method: 'POST',
      key: admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `publisher-budget-${randomUUID()}`, scopes: ['read', 'ingest'] }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const pub = await Publisher.open(key);
    open.push(pub.ws);
    // Unknown symbols: each frame is budgeted, then refused 404 without reaching a room (cheap).
    // Sent 40 at a time (the socket allows 64 unanswered frames).
    const frames = 640;
    const answers: Answer[] = [];
    for (let i = 0; i < frames; i += 40) {
      const ids = Array.from({ length: 40 }, (_, k) => `b-${i + k}`);
      for (const id of ids)
        pub.send({ type: 'ticks', id, ticks: [{ ...trades('EURUSD', [1.08])[0]!, symbol: 'NOPE1' }] });
      answers.push(...(await Promise.all(ids.map((id) => pub.answer(id)))));
    }
    const codes = answers.map((a) => (a.type === 'error' ? a.error.code : 'ack'));
    const limited = codes.filter((c) => c === 'rate_limited').length;
    // A minute's worth passes (plus what the bucket refilled while the frames arrived), then refusals.
    expect(codes.slice(0, 600).every((c) => c === 'not_found')).toBe(true);
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThanOrEqual(frames - 600);
    const refusal = answers.find((a) => a.type === 'error' && a.error.code === 'rate_limited');
    expect(refusal?.type === 'error' && refusal.status).toBe(429);
    expect(
      refusal?.type === 'error' && (refusal.error.details as { retryAfter?: number }).retryAfter,
    ).toBeGreaterThan(0);
    // Publishing is not charged to the REST budget, nor the other way round.
    expect((await call('/api/v1/symbols', { key })).status).toBe(200);
  }, 60_000);
});

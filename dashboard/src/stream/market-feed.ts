import type { StreamClient } from '../../../client/index';
import { ApiFailure } from '../api/api-error';
import { isObject, str } from '../api/guards';
import type { HttpClient } from '../api/http-client';
import type { MarketApi } from '../api/market-api';
import { eventsFromMessage, eventsFromSnapshot, type FeedEvent, type FeedStatus } from './feed-events';

export interface FeedHandlers {
  onEvents(events: FeedEvent[]): void;
  onStatus(status: FeedStatus): void;
}

const POLL_MS = 5_000;

/**
 * Live market data through the platform's stream client (`client/`), loaded lazily so that its
 * frame schemas stay out of the initial JavaScript. The socket URL carries a single-use ticket
 * from `POST /api/v1/stream/ticket`, never the API key; the client reconnects with backoff and
 * resumes from the last seq per symbol. While the stream is down, or not deployed (404), quotes
 * are polled so the watchlist keeps moving.
 */
export class MarketFeed {
  #symbols: string[] = [];
  #client: StreamClient | null = null;
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #stopped = false;
  #streamMissing = false;
  #attempt = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly market: MarketApi,
    private readonly handlers: FeedHandlers,
  ) {}

  async start(symbols: string[]): Promise<void> {
    this.#symbols = [...symbols];
    this.#stopped = false;
    this.handlers.onStatus({ state: 'connecting' });
    let mod: typeof import('../../../client/index');
    try {
      mod = await import('../../../client/index');
    } catch {
      this.handlers.onStatus({ state: 'polling', reason: 'The stream client failed to load' });
      this.#startPolling();
      return;
    }
    if (this.#stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const client = new mod.StreamClient({
      url: `${proto}//${location.host}/api/v1/stream`,
      getTicket: () => this.#ticket(),
      snapshotBars: 0,
    });
    this.#client = client;
    client.on('state', (e) => {
      if (this.#stopped) return;
      if (e.state === 'open') {
        this.#attempt = 0;
        this.#streamMissing = false;
        this.#stopPolling();
        this.handlers.onStatus({ state: 'live' });
      } else if (e.state === 'reconnecting') {
        this.#attempt += 1;
        this.#startPolling();
        this.handlers.onStatus(
          this.#streamMissing
            ? { state: 'polling', reason: 'Live streaming is not available on this server' }
            : {
                state: 'reconnecting',
                attempt: this.#attempt,
                reason: e.reason || (e.code ? `closed with code ${e.code}` : 'connection lost'),
              },
        );
      }
    });
    client.on('message', (e) => this.#emit(eventsFromMessage(e.message)));
    client.on('snapshot', (e) => this.#emit(eventsFromSnapshot(e.snapshot)));
    client.subscribe(this.#symbols);
    client.connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#client?.close();
    this.#client = null;
    this.#stopPolling();
    this.handlers.onStatus({ state: 'stopped' });
  }

  async #ticket(): Promise<string> {
    try {
      const body = await this.http.json('/api/v1/stream/ticket', {
        method: 'POST',
        body: { ttlSeconds: 30 },
      });
      const ticket = isObject(body) ? str(body.ticket) : null;
      if (!ticket) throw new Error('The server answered without a stream ticket.');
      return ticket;
    } catch (err) {
      if (err instanceof ApiFailure && err.missing) this.#streamMissing = true;
      // A rejected key signs the user out (HttpClient); stop retrying with it.
      if (err instanceof ApiFailure && err.kind === 'unauthorized') this.stop();
      throw err;
    }
  }

  #emit(events: FeedEvent[]): void {
    if (events.length > 0 && !this.#stopped) this.handlers.onEvents(events);
  }

  #startPolling(): void {
    if (this.#pollTimer || this.#stopped) return;
    void this.#poll();
    this.#pollTimer = setInterval(() => void this.#poll(), POLL_MS);
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  async #poll(): Promise<void> {
    const results = await Promise.allSettled(this.#symbols.map((s) => this.market.quote(s)));
    if (this.#stopped || !this.#pollTimer) return;
    const events: FeedEvent[] = [];
    results.forEach((r, i) => {
      const symbol = this.#symbols[i];
      if (r.status === 'fulfilled' && symbol)
        events.push({ kind: 'snapshot', symbol, quote: r.value.quote, reset: false });
    });
    this.#emit(events);
  }
}

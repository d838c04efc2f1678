/**
 * The runtime floor for `bench:ws`: the least a Durable Object can do to broadcast over
 * hibernatable WebSockets, run under the same `wrangler dev` as Skippy. It speaks the Node
 * baseline's protocol (bench/ws-baseline-server.ts): a publisher socket on `/pub`, subscribers on
 * `/sub?symbol=X`, every published frame sent as is to every socket of its symbol. No auth,
 * sequencing, storage, flow control or metrics: what it costs is what workerd costs.
 */
import { DurableObject } from 'cloudflare:workers';

interface FloorEnv {
  FLOOR: DurableObjectNamespace<FloorRoom>;
}

const PUBLISHER = 'pub';

export class FloorRoom extends DurableObject<FloorEnv> {
  /** Sockets per symbol, kept in memory so a broadcast does not list sockets on every frame. */
  readonly #bySymbol = new Map<string, WebSocket[]>();

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const tag = url.pathname === '/pub' ? PUBLISHER : (url.searchParams.get('symbol') ?? '');
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [tag]);
    this.#bySymbol.delete(tag);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (!this.ctx.getTags(ws).includes(PUBLISHER) || typeof message !== 'string') return;
    const symbol = /"symbol":"([^"]+)"/.exec(message)?.[1] ?? '';
    let sockets = this.#bySymbol.get(symbol);
    if (!sockets) {
      sockets = this.ctx.getWebSockets(symbol);
      this.#bySymbol.set(symbol, sockets);
    }
    for (const s of sockets) {
      try {
        s.send(message);
      } catch {
        this.#bySymbol.delete(symbol);
      }
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    for (const tag of this.ctx.getTags(ws)) this.#bySymbol.delete(tag);
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/api/health') return Response.json({ status: 'ok' });
    if ((pathname === '/pub' || pathname === '/sub') && request.headers.get('upgrade') === 'websocket')
      return env.FLOOR.get(env.FLOOR.idFromName('floor')).fetch(request);
    return new Response('not found', { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;

import { config } from '../../platform/config';
import { GATEWAY_HEADERS, type StreamGateway } from './stream-gateway';

/**
 * The stream-gateway family's one door: typed stubs and names. Gateways are named `gateway-<n>`;
 * an object reads its own name from `ctx.id.name`.
 */
export type { StreamGateway };
export { GATEWAY_HEADERS };

export function gatewayFor(env: Env, name: string): DurableObjectStub<StreamGateway> {
  return env.STREAM_GATEWAY.get(env.STREAM_GATEWAY.idFromName(name));
}

/** Highest shard index probed: with 2,500 sockets each, room for 640,000 sockets. */
const MAX_GATEWAYS = 256;
const FULL_MEMORY_MS = 5_000;
/** Gateways this isolate saw full recently, so it does not knock on them for every connect. */
const fullUntil = new Map<number, number>();

/**
 * Hands an authenticated upgrade to a gateway (fan-out shard). New sockets start on a random one
 * of the first `STREAM_GATEWAY_SHARDS` shards; a full shard (past `STREAM_SOCKETS_PER_GATEWAY`
 * sockets) refuses, and the next shard is tried, so load spills over onto more shards. The
 * gateway takes the socket's slot from the key's KeySockets object before it accepts: a key at
 * `socketLimit` open sockets is answered 429 with `GATEWAY_HEADERS.open`/`limit` (no upgrade).
 */
export async function connectToGateway(env: Env, keyId: string, socketLimit: number): Promise<Response> {
  const base = config(env).STREAM_GATEWAY_SHARDS;
  const start = Math.floor(Math.random() * base);
  const now = Date.now();
  for (let i = start; i < MAX_GATEWAYS; i++) {
    if ((fullUntil.get(i) ?? 0) > now) continue;
    const name = `gateway-${i}`;
    const stub = gatewayFor(env, name);
    const res = await stub.fetch('https://gateway.internal/connect', {
      headers: {
        upgrade: 'websocket',
        [GATEWAY_HEADERS.keyId]: keyId,
        [GATEWAY_HEADERS.socketLimit]: String(socketLimit),
      },
    });
    if (res.status === 503 && res.headers.get(GATEWAY_HEADERS.full)) {
      fullUntil.set(i, now + FULL_MEMORY_MS);
      continue;
    }
    return res;
  }
  return new Response(null, { status: 503 });
}

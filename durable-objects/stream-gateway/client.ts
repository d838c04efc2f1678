import { config } from '../../platform/config';
import type { UrlRequests } from '../../schema/contracts/stream';
import { GATEWAY_HEADERS } from './admission';
import type { StreamGateway } from './stream-gateway';

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

/** Who is connecting: a bot's key (by hash; the gateway authenticates it) or a redeemed ticket's key. */
export type Connecting = { keyHash: string } | { keyId: string; tier: string };

/**
 * Hands an upgrade to a gateway (fan-out shard). New sockets start on a random one of the first
 * `STREAM_GATEWAY_SHARDS` shards; a full shard (past `STREAM_SOCKETS_PER_GATEWAY` sockets)
 * refuses, and the next shard is tried, so load spills over onto more shards. The gateway
 * authenticates a key (batched per key) and takes the socket's slot and connect from the key's
 * KeySockets object before it accepts; a refusal comes back as a non-101 response with
 * `GATEWAY_HEADERS.refusal` saying why (admission.ts). `requests` (the URL's `?subscribe=` and
 * `?resume=`) are the socket's first requests, answered by the gateway right after its welcome.
 */
export async function connectToGateway(
  env: Env,
  who: Connecting,
  requests: UrlRequests = [],
): Promise<Response> {
  const base = config(env).STREAM_GATEWAY_SHARDS;
  const start = Math.floor(Math.random() * base);
  const now = Date.now();
  const headers: Record<string, string> =
    'keyHash' in who
      ? { upgrade: 'websocket', [GATEWAY_HEADERS.keyHash]: who.keyHash }
      : { upgrade: 'websocket', [GATEWAY_HEADERS.keyId]: who.keyId, [GATEWAY_HEADERS.tier]: who.tier };
  if (requests.length > 0) headers[GATEWAY_HEADERS.requests] = JSON.stringify(requests);
  for (let i = start; i < MAX_GATEWAYS; i++) {
    if ((fullUntil.get(i) ?? 0) > now) continue;
    const res = await gatewayFor(env, `gateway-${i}`).fetch('https://gateway.internal/connect', { headers });
    if (res.status === 503 && res.headers.get(GATEWAY_HEADERS.full)) {
      fullUntil.set(i, now + FULL_MEMORY_MS);
      continue;
    }
    return res;
  }
  return new Response(null, { status: 503 });
}

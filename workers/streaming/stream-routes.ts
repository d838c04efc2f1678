import { createRoute, z } from '@hono/zod-openapi';
import { type Connecting, connectToGateway, gatewayFor } from '../../durable-objects/stream-gateway/client';
import { issueTicket, redeemTicket } from '../../durable-objects/stream-tickets/client';
import { roomFor } from '../../durable-objects/symbol-room/client';
import { KEY_PATTERN } from '../../platform/auth/api-keys';
import { sha256Hex } from '../../platform/crypto';
import { faultInjectionAllowed } from '../../platform/d1/faults';
import { ApiError, zodIssues } from '../../platform/errors';
import { requireKnownSymbol } from '../../platform/market/symbol-guard';
import { errorResponses, SymbolParam } from '../../schema/contracts/common';
import { CloseCode, urlRequests } from '../../schema/contracts/stream';
import { StreamTicket, StreamTicketRequest } from '../../schema/contracts/stream-tickets';
import { presentedKey } from '../middleware/auth';
import { refuseForeignOrigin } from '../middleware/socket-origin';
import { createRouter } from '../router';
import { gatewayRefusal, invalidKey } from './stream-limits';

/** Query parameters that look like credentials: refused, so a key never ends up in a URL or a log. */
const KEY_PARAMS = ['key', 'api_key', 'apikey', 'token', 'access_token', 'authorization'];

const StreamQuery = z.object({
  ticket: z.string().max(128).optional().openapi({
    description:
      'Single-use ticket from `POST /api/v1/stream/ticket` (browsers). Bots send `Authorization` instead.',
  }),
  subscribe: z.string().max(4_096).optional().openapi({
    description:
      'Symbols (comma-separated) to subscribe to as the socket opens: answered like a `subscribe` frame sent first, with the same limits.',
    example: 'BTC-USD,ETH-USD',
  }),
  resume: z.string().max(8_192).optional().openapi({
    description:
      'After a reconnect: `SYMBOL:seq` pairs (comma-separated), answered like a `resume` frame sent first (replay after each seq, or a reset snapshot).',
    example: 'BTC-USD:1234,ETH-USD:98',
  }),
  channels: z.string().max(64).optional().openapi({
    description:
      'With `subscribe` or `resume`: channels (comma-separated: trades, quotes, bars); all when absent.',
  }),
  bars: z.string().max(8).optional().openapi({
    description: "With `subscribe`: recent closed 1-minute bars in each snapshot (as the frame's `bars`).",
  }),
});

/** The query parameter a frame field came from (`0.symbols.1` → `subscribe.1`, `1.from.AAPL` → `resume.AAPL`). */
const FIELD_PARAMS: Record<string, string> = {
  symbols: 'subscribe',
  from: 'resume',
  channels: 'channels',
  bars: 'bars',
};
function queryPath(path: string): string {
  return path.replace(/^\d+\.([a-z]+)/, (whole, field: string) => FIELD_PARAMS[field] ?? whole);
}

/**
 * `GET /api/v1/stream` (WebSocket, protocol in docs/streaming.md) and `POST /api/v1/stream/ticket`.
 * The Worker authenticates before the upgrade and hands the socket to a gateway shard.
 */
export const streamRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['stream'],
      summary:
        'Real-time market data over WebSocket (`read` scope): Authorization header, or `?ticket=` for browsers.',
      security: [{ bearer: [] }],
      request: { query: StreamQuery },
      responses: {
        101: { description: 'Switching protocols; see docs/streaming.md for the frames.' },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
        throw new ApiError('bad_request', 'Expected a WebSocket upgrade (`Upgrade: websocket`).');
      refuseForeignOrigin(c.req.raw, c.env, 'a stream');
      const params = new URL(c.req.url).searchParams;
      if (KEY_PARAMS.some((p) => params.has(p))) {
        throw new ApiError(
          'bad_request',
          'API keys are never accepted in URLs: send `Authorization: Bearer …`, or `?ticket=` from POST /api/v1/stream/ticket.',
        );
      }
      const query = c.req.valid('query');
      const { ticket } = query;
      const requests = urlRequests(query);
      if (!requests.success)
        throw new ApiError(
          'validation_failed',
          'Invalid query: `subscribe`, `resume`, `channels` or `bars`.',
          {
            details: zodIssues(requests.error.issues).map((i) => ({ ...i, path: queryPath(i.path) })),
          },
        );
      const key = presentedKey(c.req.raw.headers);
      let who: Connecting;
      if (key) {
        // Authenticated by the gateway, batched per key (a storm of one key costs a few D1 reads,
        // each started after the upgrades it answers arrived: revocation still acts at once).
        if (!KEY_PATTERN.test(key)) throw invalidKey();
        who = { keyHash: await sha256Hex(key) };
      } else if (ticket) {
        const grant = await redeemTicket(c.env, ticket);
        // Browsers cannot read an HTTP status of a refused upgrade, so a bad ticket gets a socket closed with a code.
        if (!grant)
          return closedSocket(
            CloseCode.authFailed,
            'auth_failed',
            'The ticket is invalid, expired or already used.',
          );
        who = { keyId: grant.keyId, tier: grant.tier };
      } else {
        throw new ApiError(
          'unauthorized',
          'Send `Authorization: Bearer sk_…`, or `?ticket=` from POST /api/v1/stream/ticket.',
          {
            headers: { 'www-authenticate': 'Bearer realm="skippy"' },
          },
        );
      }
      // The gateway checks the key (bots), then the stream's own limits (not the REST budget):
      // connects per key and open sockets per key across every shard. Bots get the HTTP status;
      // a browser cannot read the status of a refused upgrade, so a ticket's socket opens and
      // closes with 4008 and the reason.
      const res = await connectToGateway(c.env, who, requests.data);
      if (res.status === 101 && res.webSocket)
        return new Response(null, { status: 101, webSocket: res.webSocket });
      const refused = gatewayRefusal(res);
      if (!key && refused.code === 'rate_limited')
        return closedSocket(CloseCode.rateLimited, 'rate_limited', refused.message);
      throw refused;
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/ticket',
      tags: ['stream'],
      summary: 'A single-use ticket (valid ≤ 60 s) for opening the stream from a browser.',
      security: [{ bearer: [] }],
      request: {
        body: { required: false, content: { 'application/json': { schema: StreamTicketRequest } } },
      },
      responses: {
        201: { description: 'Ticket', content: { 'application/json': { schema: StreamTicket } } },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      if (!principal) throw new ApiError('unauthorized', 'An API key is required.');
      const ttl = c.req.valid('json')?.ttlSeconds ?? 30;
      const { ticket, expiresAt } = await issueTicket(c.env, principal, ttl);
      const url = new URL('/api/v1/stream', c.req.url);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('ticket', ticket);
      return c.json({ ticket, expiresAt, url: url.toString() }, 201);
    },
  );

const RoomStats = z
  .object({
    symbol: z.string(),
    seq: z.number().int(),
    ring: z.number().int(),
    gateways: z.array(z.object({ name: z.string(), sockets: z.number().int(), symbols: z.number().int() })),
  })
  .openapi('RoomStats');

/** Admin diagnostics and chaos for rooms, mounted under `/api/v1/admin/rooms` (admin scope). */
export const streamAdminRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/{symbol}',
      tags: ['admin'],
      summary: "A room's seq and the gateways (fan-out shards) it feeds, with their socket counts.",
      security: [{ bearer: [] }],
      request: { params: SymbolParam },
      responses: {
        200: { description: 'Room', content: { 'application/json': { schema: RoomStats } } },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { symbol } = c.req.valid('param');
      await requireKnownSymbol(c.env, (p) => c.executionCtx.waitUntil(p), symbol);
      const stats = await roomFor(c.env, symbol).stats(symbol);
      const gateways = await Promise.all(stats.gateways.map((name) => gatewayFor(c.env, name).stats()));
      return c.json({ symbol, seq: stats.seq, ring: stats.ring, gateways }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{symbol}/restart',
      tags: ['admin'],
      summary: "Chaos: restart a symbol's room as a crash would (local and staging only).",
      security: [{ bearer: [] }],
      request: { params: SymbolParam },
      responses: {
        200: {
          description: 'Restarted',
          content: {
            'application/json': { schema: z.object({ symbol: z.string(), restarted: z.literal(true) }) },
          },
        },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      if (!faultInjectionAllowed(c.env))
        throw new ApiError('not_found', 'Fault injection is disabled in this environment.');
      const { symbol } = c.req.valid('param');
      await requireKnownSymbol(c.env, (p) => c.executionCtx.waitUntil(p), symbol);
      // abort() rejects the call that caused it: that failure is the expected outcome.
      await roomFor(c.env, symbol)
        .restart(symbol)
        .catch(() => {});
      return c.json({ symbol, restarted: true as const }, 200);
    },
  );

function closedSocket(code: number, errorCode: string, message: string): Response {
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  server.send(JSON.stringify({ type: 'error', code: errorCode, message }));
  server.close(code, errorCode);
  return new Response(null, { status: 101, webSocket: pair[0] });
}

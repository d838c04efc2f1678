/**
 * The one error vocabulary of the platform. Services raise these codes; each edge maps them in one
 * place: the HTTP edge (workers/app.ts) to a status and the `{ error: { code } }` body, the
 * WebSocket edge (durable-objects/stream-gateway/frames.ts) to the stream's `error` frame. Most
 * codes travel under their own name; `http`/`stream` give the wire name where an edge has always
 * used another one (clients depend on those). Plain data, no zod or Hono: browsers load it.
 */

/** The codes a stream `error` frame can carry (docs/streaming.md). */
export const STREAM_ERROR_CODES = [
  'bad_message',
  'unknown_type',
  'unknown_symbol',
  'too_many_subscriptions',
  'rate_limited',
  'slow_consumer',
  'auth_failed',
  'message_too_big',
  'internal',
] as const;
export type StreamWireCode = (typeof STREAM_ERROR_CODES)[number];

interface CodeSpec {
  status: number;
  /** Wire code on HTTP when it differs from the code's name. */
  http?: string;
  /** Wire code on the stream. */
  stream: StreamWireCode;
}

export const ERROR_CODES = {
  bad_request: { status: 400, stream: 'bad_message' },
  validation_failed: { status: 400, stream: 'bad_message' },
  invalid_json: { status: 400, stream: 'bad_message' },
  invalid_cursor: { status: 400, stream: 'bad_message' },
  unknown_type: { status: 400, stream: 'unknown_type' },
  too_many_subscriptions: { status: 400, stream: 'too_many_subscriptions' },
  unauthorized: { status: 401, stream: 'auth_failed' },
  forbidden: { status: 403, stream: 'auth_failed' },
  not_found: { status: 404, stream: 'bad_message' },
  /** A well-formed symbol the catalogue does not list: HTTP has always called it `not_found`. */
  unknown_symbol: { status: 404, http: 'not_found', stream: 'unknown_symbol' },
  method_not_allowed: { status: 405, stream: 'bad_message' },
  conflict: { status: 409, stream: 'bad_message' },
  gone: { status: 410, stream: 'bad_message' },
  payload_too_large: { status: 413, stream: 'message_too_big' },
  unsupported_media_type: { status: 415, stream: 'bad_message' },
  unprocessable: { status: 422, stream: 'bad_message' },
  insufficient_history: { status: 422, stream: 'bad_message' },
  rate_limited: { status: 429, stream: 'rate_limited' },
  slow_consumer: { status: 429, stream: 'slow_consumer' },
  internal: { status: 500, stream: 'internal' },
  upstream_unavailable: { status: 503, stream: 'internal' },
  dependency_failed: { status: 503, stream: 'internal' },
  overloaded: { status: 503, stream: 'rate_limited' },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

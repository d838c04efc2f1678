/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): accept an incoming `traceparent`
 * or start a new trace. The trace id travels into Durable Object calls and Queue messages.
 */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let s = '';
  for (const b of buf) s += b.toString(16).padStart(2, '0');
  return s;
}

export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  if (!header) return null;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return null;
  const [, traceId, spanId, flags] = m;
  if (!traceId || !spanId || !flags || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function newTrace(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), sampled: true };
}

/** A child span of `parent`, for an outgoing call. */
export function childSpan(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: randomHex(8), sampled: parent.sampled };
}

export function formatTraceparent(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.sampled ? '01' : '00'}`;
}

/**
 * Headers that carry `trace` into a Durable Object `stub.fetch` (WebSocket upgrades) or any
 * outgoing request, as a child span: `{ traceparent }`.
 */
export function traceHeaders(trace: TraceContext): Record<string, string> {
  return { traceparent: formatTraceparent(childSpan(trace)) };
}

/**
 * The value of the `trace` field convention for Queue message bodies and RPC arguments: a W3C
 * `traceparent` string of a child span. Read it back with `traceFromField`.
 */
export function traceField(trace: TraceContext): string {
  return formatTraceparent(childSpan(trace));
}

/** The trace carried by a `trace` field, or a new trace when it is absent or malformed. */
export function traceFromField(value: unknown): TraceContext {
  return (typeof value === 'string' ? parseTraceparent(value) : null) ?? newTrace();
}

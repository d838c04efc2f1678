import { ApiError, DependencyError, streamCode } from '../../platform/errors';
import type { StreamWireCode } from '../../schema/contracts/error-codes';
import type {
  ErrorFrame,
  SnapshotFrame,
  SubscriptionsFrame,
  WelcomeFrame,
  WireMessage,
} from '../../schema/contracts/stream';

/**
 * Server frames as JSON text. Data frames are assembled from each message's JSON, serialised
 * once by the room, so a batch costs one string join per distinct channel set, not per socket.
 */
export function dataFrame(messages: readonly WireMessage[]): string {
  let out = '{"type":"data","messages":[';
  for (let i = 0; i < messages.length; i++) {
    if (i > 0) out += ',';
    out += messages[i]?.json ?? 'null';
  }
  return `${out}]}`;
}

/** The latest message per symbol and channel of a socket that fell behind, marked conflated. */
export function conflatedFrame(messages: readonly WireMessage[]): string {
  const parts = messages.map((m) => `${m.json.slice(0, -1)},"conflated":true}`);
  return `{"type":"data","conflated":true,"messages":[${parts.join(',')}]}`;
}

export const welcomeFrame = (f: Omit<WelcomeFrame, 'type'>): string =>
  JSON.stringify({ type: 'welcome', ...f });
export const subscriptionsFrame = (f: Omit<SubscriptionsFrame, 'type'>): string =>
  JSON.stringify({ type: 'subscriptions', ...f });
export const snapshotFrame = (f: Omit<SnapshotFrame, 'type'>): string =>
  JSON.stringify({ type: 'snapshot', ...f });
export const errorFrame = (f: Omit<ErrorFrame, 'type'>): string => JSON.stringify({ type: 'error', ...f });

/**
 * The WebSocket edge of the error boundary (the HTTP edge is workers/app.ts): a domain error keeps
 * its code in the stream's vocabulary, a tagged dependency failure is `internal` with a retry hint,
 * and anything else is a bug (`bug: true`: the caller logs it and sends it to Sentry).
 */
export function errorFrameFor(err: unknown): { frame: string; bug: boolean; code: StreamWireCode } {
  if (err instanceof ApiError) {
    const code = streamCode(err.code);
    return { frame: errorFrame({ code, message: err.message }), bug: false, code };
  }
  if (err instanceof DependencyError)
    return {
      frame: errorFrame({
        code: 'internal',
        message: 'A dependency is temporarily unavailable; retry shortly.',
      }),
      bug: false,
      code: 'internal',
    };
  return {
    frame: errorFrame({ code: 'internal', message: 'The frame could not be handled; retry.' }),
    bug: true,
    code: 'internal',
  };
}

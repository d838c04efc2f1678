import { ERROR_CODES, type ErrorCode, type StreamWireCode } from '../schema/contracts/error-codes';

/**
 * Errors of the platform, in three kinds:
 * - `ApiError`: the request's own outcome (validation, unknown symbol, insufficient history…), a
 *   code from the one vocabulary (schema/contracts/error-codes.ts), raised in services;
 * - `DependencyError`: D1, KV, a Durable Object stub or a queue failed, tagged where it happened
 *   (the circuit breaker, `dependency()`); only these may be answered from a stale copy or as 503;
 * - anything else is a bug: logged with its trace id, sent to Sentry, answered as a generic 500.
 * `toErrorBody` is the only place that builds the wire shape `{ error: { code, message, details?, traceId } }`.
 */
/** HTTP status per code, from the one vocabulary (schema/contracts/error-codes.ts). */
export const ERROR_STATUS = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, spec]) => [code, spec.status]),
) as { [K in ErrorCode]: (typeof ERROR_CODES)[K]['status'] };

export type { ErrorCode };
export type ErrorStatus = (typeof ERROR_CODES)[ErrorCode]['status'];

/** The code a client sees on HTTP (an edge alias such as `unknown_symbol` → `not_found`, or itself). */
export function httpCode(code: ErrorCode): string {
  const spec: { status: number; http?: string } = ERROR_CODES[code];
  return spec.http ?? code;
}

/** The code a client sees in a stream `error` frame. */
export function streamCode(code: ErrorCode): StreamWireCode {
  return ERROR_CODES[code].stream;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; traceId: string };
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): ErrorStatus {
    return ERROR_CODES[this.code].status;
  }
}

/** A dependency (D1, KV, a Durable Object, a queue) failed; `cause` holds what it threw. */
export class DependencyError extends Error {
  override readonly name: string = 'DependencyError';
  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * True only for a tagged dependency failure, so a stale copy or a 503 applies. A plain error is a
 * bug and must surface as one (500, logged, Sentry), never be hidden behind a cached answer.
 */
export function isDependencyFailure(err: unknown): err is DependencyError {
  return err instanceof DependencyError;
}

/**
 * Runs a call to a dependency and tags what it throws (ApiErrors and already-tagged errors pass
 * through), so the error boundary can tell an outage from a bug.
 */
export async function dependency<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError || err instanceof DependencyError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new DependencyError(name, `${name} failed: ${detail}`, { cause: err });
  }
}

const DEPENDENCY_NAMES: Record<string, string> = {
  d1: 'The database',
  kv: 'The cache',
  'symbol-room': 'The live market data',
  'stream-tickets': 'Stream tickets',
  'key-sockets': 'The stream connection counter',
  'backtests-queue': 'The backtests queue',
  'training-queue': 'The training queue',
};

/** A client-facing name for a dependency tag (`d1` → "The database"). */
export function dependencyName(tag: string): string {
  return DEPENDENCY_NAMES[tag] ?? `The ${tag} service`;
}

export function dependencyUnavailable(what: string, cause?: unknown): ApiError {
  return new ApiError('dependency_failed', `${what} is temporarily unavailable; retry shortly.`, {
    cause,
  });
}

export function toErrorBody(err: ApiError, traceId: string): ErrorBody {
  const body: ErrorBody = { error: { code: httpCode(err.code), message: err.message, traceId } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}

type Issue = {
  code?: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  errors?: ReadonlyArray<ReadonlyArray<Issue>>;
};

/**
 * Flattens zod issues into `[{ path, message }]` for `details`, without echoing input values; the
 * one formatting of validation failures (the router's hook, batch items, publisher frames). A
 * union failure (strategy by name or by rules, stored or inline data) is reported through its
 * closest branch (fewest issues) instead of a bare "Invalid input", so a bad strategy name lists
 * the valid names.
 */
export function zodIssues(issues: ReadonlyArray<Issue>): Array<{ path: string; message: string }> {
  return flatten(issues).slice(0, 50);
}

function flatten(
  issues: ReadonlyArray<Issue>,
  prefix: PropertyKey[] = [],
): Array<{ path: string; message: string }> {
  return issues.flatMap((i) => {
    const path = [...prefix, ...i.path];
    if (i.code === 'invalid_union' && i.errors && i.errors.length > 0) {
      const best = [...i.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (best.length > 0) return flatten(best, path);
    }
    return [{ path: path.map(String).join('.'), message: i.message }];
  });
}

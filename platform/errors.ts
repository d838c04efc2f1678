/**
 * The one error type of the API. Every failure a client can see is an ApiError with a code;
 * `toErrorBody` is the only place that turns it into the wire shape
 * `{ error: { code, message, details?, traceId } }`.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  insufficient_history: 422,
  rate_limited: 429,
  internal: 500,
  upstream_unavailable: 503,
  dependency_failed: 503,
  overloaded: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; traceId: string };
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): ErrorStatus {
    return ERROR_STATUS[this.code];
  }
}

export function toErrorBody(err: ApiError, traceId: string): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message, traceId } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}

/** Flattens zod issues into `[{ path, message }]` for `details`, without echoing input values. */
export function zodIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): Array<{
  path: string;
  message: string;
}> {
  return issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

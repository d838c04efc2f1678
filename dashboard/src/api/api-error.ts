/** Why a request failed, as the UI needs to tell it apart. */
export type FailureKind =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'rate-limited'
  | 'invalid'
  | 'server'
  | 'offline';

/** A failed API call, parsed from the platform's `{ error: { code, message, traceId } }` shape. */
export class ApiFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status: number,
    message: string,
    readonly code: string = kind,
    readonly traceId?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** The endpoint doesn't exist on this server (a feature not deployed yet), as opposed to a missing resource. */
  get missing(): boolean {
    return this.status === 404 && (this.code === 'not-found' || this.message.startsWith('No route for'));
  }
}

export function kindOf(status: number): FailureKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  return 'invalid';
}

/** Builds an ApiFailure from a non-2xx response, tolerating bodies that aren't the error shape. */
export async function failureFrom(res: Response): Promise<ApiFailure> {
  let code: string = kindOf(res.status);
  let message = `${res.status} ${res.statusText}`.trim();
  let traceId = res.headers.get('x-trace-id') ?? undefined;
  let details: unknown;
  try {
    const body: unknown = await res.json();
    const err = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof err === 'object' && err !== null) {
      const e = err as Record<string, unknown>;
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.traceId === 'string') traceId = e.traceId;
      details = e.details;
    }
  } catch {
    // Not JSON (a proxy error page): keep the status line.
  }
  return new ApiFailure(kindOf(res.status), res.status, message, code, traceId, details);
}

/** A one-line, user-facing description of any error. */
export function describeError(err: unknown): string {
  if (err instanceof ApiFailure) {
    switch (err.kind) {
      case 'unauthorized':
        return 'Your API key was rejected (invalid, revoked or expired). Sign in again.';
      case 'forbidden':
        return `${err.message} Sign in with a key that has it to use this.`;
      case 'offline':
        return 'Cannot reach the server. Check that it is running; retrying.';
      case 'rate-limited':
        return 'Rate limit reached for this key; try again in a minute.';
      case 'server':
        return `The server failed (${err.status}): ${err.message}${err.traceId ? ` (trace ${err.traceId})` : ''}`;
      default:
        return `${err.message}${detailText(err.details)}`;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Validation details (`[{ path, message }]`) as one readable suffix. */
function detailText(details: unknown): string {
  if (!Array.isArray(details)) return '';
  const parts = details
    .map((d) => (typeof d === 'object' && d !== null ? d : {}) as { path?: unknown; message?: unknown })
    .filter((d) => typeof d.message === 'string')
    .map(
      (d) =>
        `${Array.isArray(d.path) ? d.path.join('.') : typeof d.path === 'string' ? d.path : ''}${d.path ? ': ' : ''}${d.message}`,
    );
  return parts.length > 0 ? ` (${parts.slice(0, 4).join('; ')})` : '';
}

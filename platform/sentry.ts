import { Toucan } from 'toucan-js';
import { config } from './config';
import { VERSION } from './version';

/**
 * Reports unhandled errors to Sentry through toucan-js when `SENTRY_DSN` is set. Only an
 * allow-list of request headers leaves the Worker (never `authorization`, `x-api-key` or
 * cookies), and search parameters are limited to the API's non-secret query names.
 */
const ALLOWED_HEADERS = [
  'user-agent',
  'accept',
  'content-type',
  'content-length',
  'traceparent',
  'cf-ray',
  'cf-ipcountry',
];
const ALLOWED_PARAMS = /^(timeframe|from|to|limit|cursor|horizon|symbols?)$/;

export const RELEASE = `skippy@${VERSION.version}+${VERSION.build}`;

export interface ErrorReport {
  error: unknown;
  request: Request;
  traceId: string;
  route: string;
  waitUntil: (p: Promise<unknown>) => void;
}

/** Sends `report` to Sentry (through `waitUntil`); returns the event id, or null when Sentry is off. */
export function reportError(env: Env, report: ErrorReport): string | null {
  const { SENTRY_DSN: dsn, ENVIRONMENT: environment } = config(env);
  if (!dsn) return null;
  try {
    const sentry = new Toucan({
      dsn,
      release: RELEASE,
      environment: environment ?? 'unknown',
      context: { waitUntil: report.waitUntil, request: report.request },
      request: report.request,
      requestDataOptions: {
        allowedHeaders: ALLOWED_HEADERS,
        allowedSearchParams: ALLOWED_PARAMS,
        allowedCookies: false,
        allowedIps: false,
      },
    });
    sentry.setTag('trace_id', report.traceId);
    sentry.setTag('route', report.route);
    sentry.setContext('trace', { trace_id: report.traceId });
    return sentry.captureException(report.error);
  } catch {
    // Error reporting must never turn one failure into two.
    return null;
  }
}

/** Where a non-HTTP error happened: the component (queue, cron, Durable Object) and, optionally, which one. */
export interface BackgroundSite {
  /** e.g. `queue`, `cron`, `market-simulator`, `symbol-room`. */
  component: string;
  /** e.g. the queue name, the cron job or the Durable Object method. */
  name?: string;
  /** Keeps the isolate alive until the event is sent (ctx.waitUntil / state.waitUntil). */
  waitUntil?: (p: Promise<unknown>) => void;
}

/**
 * Reports an error that no HTTP request will surface (queue consumer, cron, Durable Object
 * alarm, WebSocket handler) to Sentry, tagged with `component` and `name`. Returns the event
 * id, or null when Sentry is off or reporting itself failed; never throws.
 */
export function reportBackgroundError(env: Env, error: unknown, where: BackgroundSite): string | null {
  try {
    const { SENTRY_DSN: dsn, ENVIRONMENT: environment } = config(env);
    if (!dsn) return null;
    // Without a waitUntil the send still starts now; a caught rejection keeps it from surfacing.
    const waitUntil = where.waitUntil ?? ((p: Promise<unknown>) => void p.catch(() => undefined));
    const sentry = new Toucan({
      dsn,
      release: RELEASE,
      environment: environment ?? 'unknown',
      context: { waitUntil },
    });
    sentry.setTag('component', where.component);
    if (where.name) sentry.setTag('name', where.name);
    return sentry.captureException(error);
  } catch {
    // Error reporting must never turn one failure into two.
    return null;
  }
}

import { Toucan } from 'toucan-js';
import { opsEnv } from '../metrics/ops-env';
import { VERSION } from '../version';

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
  const { SENTRY_DSN: dsn, ENVIRONMENT: environment } = opsEnv(env);
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

import { cors as honoCors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { config } from '../../platform/config';
import type { AppEnv } from '../app-env';

export function allowedOrigins(env: Env): string[] {
  return config(env).ALLOWED_ORIGINS;
}

/** CORS for the origins in `ALLOWED_ORIGINS` only; credentials travel in headers, never cookies. */
export function cors() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const origins = allowedOrigins(c.env);
    return honoCors({
      origin: (origin) => (origins.includes(origin) ? origin : null),
      allowHeaders: [
        'authorization',
        'x-api-key',
        'content-type',
        'idempotency-key',
        'traceparent',
        'x-d1-bookmark',
      ],
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      exposeHeaders: [
        'x-trace-id',
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'location',
        'x-d1-bookmark',
      ],
      maxAge: 600,
    })(c, next);
  });
}

import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../platform/errors';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../../platform/http/json-depth';
import type { AppEnv } from '../app-env';

/**
 * Rejects JSON bodies nested deeper than {@link MAX_JSON_DEPTH} with 400 `validation_failed`
 * before any handler or validator parses them (recursive validation of a body thousands of
 * levels deep overflows the stack: a 500). The text read here is cached by Hono, so the
 * validator's own `c.req.json()` does not read the body twice. Bodies of other media types
 * (CSV imports) are not read.
 */
export function jsonDepthLimit(max: number = MAX_JSON_DEPTH): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header('content-type')?.toLowerCase() ?? '';
    if (c.req.raw.body !== null && type.includes('json')) {
      if (jsonNestingExceeds(await c.req.text(), max)) {
        throw new ApiError('validation_failed', `JSON nested deeper than ${max} levels.`, {
          details: [{ path: '', message: `nesting exceeds the limit of ${max} levels` }],
        });
      }
    }
    await next();
  };
}

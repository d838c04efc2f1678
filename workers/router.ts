import { OpenAPIHono } from '@hono/zod-openapi';
import { ApiError, zodIssues } from '../platform/errors';
import type { AppEnv } from './app-env';

/**
 * A router whose zod validation failures become `validation_failed` ApiErrors, so that every
 * route answers bad input in the one error shape. Each resource file creates its own.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError('validation_failed', `Invalid ${result.target}.`, {
          details: zodIssues(result.error.issues),
        });
      }
    },
  });
}

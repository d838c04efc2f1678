import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from '../../platform/errors';
import { FLAGS, type FlagKey, flagSpec, isFlagKey, variantNames } from '../../platform/flags/catalog';
import { stateOf } from '../../platform/flags/evaluate';
import { isolateFlags } from '../../platform/flags/flag-cache';
import { readAudit, readStates, writeKvCopy, writeState } from '../../platform/flags/storage';
import { errorResponses } from '../../schema/contracts/common';
import { FlagAuditEntry, FlagState, FlagValue } from '../../schema/contracts/flags';
import type { AppEnv } from '../app-env';
import { createRouter } from '../router';

/**
 * Flag administration (admin scope, mounted under /api/v1/admin/flags). Every change is written
 * with its audit row in one D1 batch, then copied to KV (last-known-good) and loaded into this
 * isolate at once; other isolates see it within FLAGS_REFRESH_MS.
 */
const AdminFlag = z
  .object({
    key: z.string(),
    description: z.string(),
    type: z.enum(['boolean', 'variant']),
    variants: z.record(z.string(), FlagValue),
    defaultVariant: z.string(),
    state: FlagState,
    /** False while the flag runs on its environment or catalogue default (no change stored yet). */
    stored: z.boolean(),
  })
  .openapi('AdminFlag');
const KeyParam = z.object({
  key: z
    .string()
    .regex(/^[a-z0-9.-]{1,64}$/)
    .openapi({ param: { name: 'key', in: 'path' }, example: 'backtests.sweeps' }),
});
const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

function knownFlag(key: string): FlagKey {
  if (!isFlagKey(key))
    throw new ApiError('not_found', `No flag ${key}.`, { details: { flags: Object.keys(FLAGS) } });
  return key;
}

async function view(c: Context<AppEnv>, key: FlagKey, stored: Map<string, FlagState>) {
  const spec = flagSpec(key);
  const snap = await isolateFlags.current(c.env, (p) => c.executionCtx.waitUntil(p));
  return {
    key,
    description: spec.description,
    type: spec.type,
    variants: { ...spec.variants },
    defaultVariant: spec.defaultVariant,
    state: stored.get(key) ?? stateOf({ ...snap, states: new Map() }, key),
    stored: stored.has(key),
  };
}

export const flagsAdminRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['admin'],
      summary: 'Every feature flag with its variants and current state (read from D1).',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'Flags',
          content: { 'application/json': { schema: z.object({ data: z.array(AdminFlag) }) } },
        },
        ...errorResponses(401, 403, 429, 503),
      },
    }),
    async (c) => {
      const stored = await readStates(c.env);
      const data = await Promise.all((Object.keys(FLAGS) as FlagKey[]).map((k) => view(c, k, stored)));
      return c.json({ data }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{key}',
      tags: ['admin'],
      summary: 'One feature flag and its recent audit entries.',
      security: [{ bearer: [] }],
      request: { params: KeyParam, query: AuditQuery },
      responses: {
        200: {
          description: 'Flag',
          content: {
            'application/json': { schema: AdminFlag.extend({ audit: z.array(FlagAuditEntry) }) },
          },
        },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const key = knownFlag(c.req.valid('param').key);
      const [stored, audit] = await Promise.all([
        readStates(c.env),
        readAudit(c.env, key, c.req.valid('query').limit),
      ]);
      return c.json({ ...(await view(c, key, stored)), audit }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{key}',
      tags: ['admin'],
      summary: 'Set a flag: enabled, the variant served and to what percent of keys. Audited.',
      security: [{ bearer: [] }],
      request: {
        params: KeyParam,
        body: { required: true, content: { 'application/json': { schema: FlagState } } },
      },
      responses: {
        200: {
          description: 'The flag after the change, with the audit entry written',
          content: { 'application/json': { schema: AdminFlag.extend({ audit: FlagAuditEntry }) } },
        },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const key = knownFlag(c.req.valid('param').key);
      const next = c.req.valid('json');
      if (!variantNames(key).includes(next.variant))
        throw new ApiError('validation_failed', `Flag ${key} has no variant "${next.variant}".`, {
          details: [{ path: 'variant', message: `expected one of ${variantNames(key).join(', ')}` }],
        });
      const principal = c.get('principal');
      if (!principal) throw new ApiError('unauthorized', 'An admin key is required.');
      const { audit } = await writeState(c.env, key, next, {
        keyId: principal.keyId,
        name: principal.name,
        traceId: c.get('traceId'),
      });
      const stored = await readStates(c.env);
      // The KV copy only serves isolates that start while D1 fails: a failed write is not the caller's problem.
      c.executionCtx.waitUntil(writeKvCopy(c.env, stored).catch(() => {}));
      await isolateFlags.refresh(c.env);
      return c.json({ ...(await view(c, key, stored)), audit }, 200);
    },
  );

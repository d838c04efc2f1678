import { createRoute, z } from '@hono/zod-openapi';
import { createKey, listKeys, RateLimitTier, Scope } from '../../platform/auth/api-keys';
import { revokeKey } from '../../platform/auth/revoke-key';
import { FaultConfig, faultInjectionAllowed, setFaults } from '../../platform/d1/faults';
import { ApiError } from '../../platform/errors';
import { errorResponses } from '../../schema/contracts/common';
import { createRouter } from '../router';

const KeyInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(Scope),
    tier: RateLimitTier,
    createdAt: z.number(),
    lastUsedAt: z.number().nullable(),
    revokedAt: z.number().nullable(),
  })
  .openapi('ApiKey');
const CreateKey = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z.array(Scope).min(1).max(4),
    tier: RateLimitTier.default('standard'),
  })
  .strict()
  .openapi('CreateApiKey');
const CreatedKey = z
  .object({
    id: z.string(),
    key: z.string().openapi({ description: 'Shown once; store it now.' }),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(Scope),
    tier: RateLimitTier,
  })
  .openapi('CreatedApiKey');
const KeyIdParam = z.object({
  id: z
    .string()
    .regex(/^key_[A-Za-z0-9_-]{1,64}$/)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const FaultInput = FaultConfig.omit({ expiresAt: true })
  .extend({ durationSeconds: z.number().int().min(1).max(3600).default(300) })
  .strict();

export const adminRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/keys',
      tags: ['admin'],
      summary: 'List API keys (never the keys themselves).',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'Keys',
          content: { 'application/json': { schema: z.object({ data: z.array(KeyInfo) }) } },
        },
        ...errorResponses(401, 403, 429, 503),
      },
    }),
    async (c) => c.json({ data: await listKeys(c.env) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/keys',
      tags: ['admin'],
      summary: 'Create an API key; the response is the only time it is shown.',
      security: [{ bearer: [] }],
      request: { body: { required: true, content: { 'application/json': { schema: CreateKey } } } },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: CreatedKey } } },
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const k = await createKey(c.env, input);
      return c.json(
        { id: k.id, key: k.key, name: k.name, prefix: k.prefix, scopes: k.scopes, tier: k.tier },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/keys/{id}',
      tags: ['admin'],
      summary:
        'Revoke a key; it stops working at once, also from cached copies while D1 fails. Retrying is safe.',
      security: [{ bearer: [] }],
      request: { params: KeyIdParam },
      responses: {
        200: {
          description: 'Revoked',
          content: { 'application/json': { schema: z.object({ id: z.string(), revoked: z.literal(true) }) } },
        },
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await revokeKey(c.env, id))) throw new ApiError('not_found', `No key ${id}.`);
      return c.json({ id, revoked: true as const }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/faults',
      tags: ['admin'],
      summary: 'Chaos: inject D1 errors/latency and consumer crashes (local and staging only).',
      security: [{ bearer: [] }],
      request: { body: { required: true, content: { 'application/json': { schema: FaultInput } } } },
      responses: {
        200: { description: 'Active fault config', content: { 'application/json': { schema: FaultConfig } } },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      if (!faultInjectionAllowed(c.env))
        throw new ApiError('not_found', 'Fault injection is disabled in this environment.');
      const { durationSeconds, ...rest } = c.req.valid('json');
      const config = { ...rest, expiresAt: Date.now() + durationSeconds * 1000 };
      await setFaults(c.env, config);
      return c.json(config, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/faults',
      tags: ['admin'],
      summary: 'Chaos: clear injected faults.',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'Cleared',
          content: { 'application/json': { schema: z.object({ cleared: z.literal(true) }) } },
        },
        ...errorResponses(401, 403, 404, 429),
      },
    }),
    async (c) => {
      if (!faultInjectionAllowed(c.env))
        throw new ApiError('not_found', 'Fault injection is disabled in this environment.');
      await setFaults(c.env, null);
      return c.json({ cleared: true as const }, 200);
    },
  );

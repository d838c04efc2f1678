import { createRoute, z } from '@hono/zod-openapi';
import { FLAGS, type FlagKey } from '../../platform/flags/catalog';
import { errorResponses } from '../../schema/contracts/common';
import { EvaluatedFlag } from '../../schema/contracts/flags';
import { requestFlags } from '../middleware/flags';
import { createRouter } from '../router';

/** `GET /api/v1/flags`: every flag as evaluated for the calling key (the dashboard shows these). */
export const flagsRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['flags'],
    summary: 'Feature flags as evaluated for the calling API key (value, variant and why).',
    security: [{ bearer: [] }],
    responses: {
      200: {
        description: 'Flags for this key',
        content: { 'application/json': { schema: z.object({ data: z.array(EvaluatedFlag) }) } },
      },
      ...errorResponses(401, 403, 429),
    },
  }),
  async (c) => {
    const flags = await requestFlags(c);
    const data = (Object.keys(FLAGS) as FlagKey[]).map((key) => {
      const spec = FLAGS[key];
      const fallback = spec.variants[spec.defaultVariant as keyof typeof spec.variants] as boolean | string;
      const d =
        typeof fallback === 'boolean'
          ? flags.getBooleanDetails(key, fallback)
          : flags.getStringDetails(key, String(fallback));
      return { key, description: spec.description, value: d.value, variant: d.variant, reason: d.reason };
    });
    return c.json({ data }, 200);
  },
);

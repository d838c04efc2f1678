import { createRoute } from '@hono/zod-openapi';
import { capacityCurve, workersCapacity } from '../../engine/capacity';
import { CapacityQuery, CapacityResponse, workloadFromQuery } from '../../schema/contracts/capacity';
import { errorResponses } from '../../schema/contracts/common';
import { createRouter } from '../router';

/**
 * The capacity model over HTTP (`read` scope: it reveals no data, only arithmetic on the query
 * and the committed calibration). Pure computation, no binding is touched, so it answers even
 * when D1 is down. A workload past every limit is answered with what breaks, not an error.
 */
export const capacityRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['capacity'],
    summary:
      'Capacity model: the seed formula beside the Workers-native model (load against each limit, the first limit reached, monthly cost), and a curve over users.',
    security: [{ bearer: [] }],
    request: { query: CapacityQuery },
    responses: {
      200: {
        description: 'The model’s answer',
        content: { 'application/json': { schema: CapacityResponse } },
      },
      ...errorResponses(400, 401, 403, 429),
    },
  }),
  (c) => {
    const q = c.req.valid('query');
    const given = new Set(Object.keys(c.req.queries()));
    const workload = workloadFromQuery(q, given);
    const report = workersCapacity(workload);
    return c.json({ ...report, workload: { ...report.workload }, curve: capacityCurve(workload) }, 200);
  },
);

import { config } from '../config';

export interface RequestPoint {
  route: string;
  method: string;
  status: number;
  ms: number;
  traceId: string;
}

/**
 * One Workers Analytics Engine data point per request when an `ANALYTICS` binding is configured
 * (https://developers.cloudflare.com/analytics/analytics-engine/). The index is the route
 * pattern, so sampling keeps every route represented. Absent binding: nothing happens.
 */
export function writeRequestPoint(env: Env, p: RequestPoint): void {
  const dataset = config(env).ANALYTICS;
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [p.route.slice(0, 96)],
      blobs: [p.route, p.method, String(p.status), p.traceId],
      doubles: [p.ms, p.status],
    });
  } catch {
    // Analytics must never fail a request.
  }
}

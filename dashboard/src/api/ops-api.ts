import { expectObject, isObject, num, str } from './guards';
import type { HttpClient } from './http-client';

export interface HealthCheck {
  name: string;
  status: string;
  latencyMs: number | null;
  error: string | null;
}

export interface DetailedHealth {
  status: string;
  version: string | null;
  environment: string | null;
  checks: HealthCheck[];
}

/** The platform's own operational endpoints: `/metrics` (admin) and `/api/health/detailed`. */
export class OpsApi {
  constructor(private readonly http: HttpClient) {}

  metrics(): Promise<string> {
    return this.http.text('/metrics', { headers: { accept: 'text/plain' } });
  }

  async health(): Promise<DetailedHealth> {
    // A failing dependency answers 503 with the same body: still the checks to show.
    const body = await this.http.json('/api/health/detailed', { accept: [503] });
    const b = expectObject(body, 'health');
    const checks = isObject(b.checks) ? b.checks : {};
    return {
      status: str(b.status) ?? 'unknown',
      version: str(b.version),
      environment: str(b.environment),
      checks: Object.entries(checks).map(([name, c]) => ({
        name,
        status: isObject(c) ? (str(c.status) ?? 'unknown') : 'unknown',
        latencyMs: isObject(c) ? num(c.latencyMs) : null,
        error: isObject(c) ? str(c.error) : null,
      })),
    };
  }
}

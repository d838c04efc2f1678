import { expectArray, expectObject, isObject, num, str } from './guards';
import type { HttpClient } from './http-client';

export interface CurvePoint {
  users: number;
  monthlyUsd: number;
  firstLimit: string;
  utilization: number;
}

export interface CapacityAnswer {
  firstLimit: { id: string; what: string; utilization: number; answer: string };
  usersAtFirstLimit: number | null;
  breaks: string[];
  monthlyUsd: number;
  pricesAsOf: string;
  seed: { totalRPS: number; instancesNeeded: number; memoryRequired: number; cpuRequired: number };
  limits: Array<{ id: string; utilization: number; load: number; limit: number; unit: string }>;
  curve: CurvePoint[];
}

/** `GET /api/v1/capacity`: the capacity model for the inputs the panel sends (all strings). */
export class CapacityApi {
  constructor(private readonly http: HttpClient) {}

  async compute(inputs: Record<string, string>): Promise<CapacityAnswer> {
    const q = new URLSearchParams(Object.entries(inputs).filter(([, v]) => v.trim() !== ''));
    const b = expectObject(await this.http.json(`/api/v1/capacity?${q}`), 'capacity');
    const first = expectObject(b.firstLimit, 'first limit');
    const seed = expectObject(b.seed, 'seed');
    const cost = expectObject(b.cost, 'cost');
    return {
      firstLimit: {
        id: str(first.id) ?? '?',
        what: str(first.what) ?? '',
        utilization: num(first.utilization) ?? 0,
        answer: str(first.answer) ?? '',
      },
      usersAtFirstLimit: num(b.usersAtFirstLimit),
      breaks: expectArray(b.breaks, 'breaks').map((x) => str(x) ?? '?'),
      monthlyUsd: num(cost.monthlyUsd) ?? 0,
      pricesAsOf: str(cost.pricesAsOf) ?? '',
      seed: {
        totalRPS: num(seed.totalRPS) ?? 0,
        instancesNeeded: num(seed.instancesNeeded) ?? 0,
        memoryRequired: num(seed.memoryRequired) ?? 0,
        cpuRequired: num(seed.cpuRequired) ?? 0,
      },
      limits: expectArray(b.limits, 'limits')
        .filter(isObject)
        .map((l) => ({
          id: str(l.id) ?? '?',
          utilization: num(l.utilization) ?? 0,
          load: num(l.load) ?? 0,
          limit: num(l.limit) ?? 0,
          unit: str(l.unit) ?? '',
        })),
      curve: expectArray(b.curve, 'curve')
        .filter(isObject)
        .map((p) => ({
          users: num(p.users) ?? 0,
          monthlyUsd: num(p.monthlyUsd) ?? 0,
          firstLimit: str(p.firstLimit) ?? '?',
          utilization: num(p.utilization) ?? 0,
        })),
    };
  }
}

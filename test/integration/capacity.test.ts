import { beforeAll, describe, expect, it } from 'vitest';
import { CapacityResponse } from '../../schema/contracts/capacity';
import { api, json, makeKey } from './helpers';

let readKey: string;
let ingestKey: string;

beforeAll(async () => {
  readKey = await makeKey(['read']);
  ingestKey = await makeKey(['ingest']);
});

interface ErrorBody {
  error: { code: string; details?: Array<{ path: string; message: string }> };
}

describe('GET /api/v1/capacity', () => {
  it('answers the seed formula beside the Workers model, in the documented shape', async () => {
    const res = await api('/api/v1/capacity?users=10000&rps=10&avgResponseTimeMs=100&sockets=0', {
      key: readKey,
    });
    expect(res.status).toBe(200);
    const body = CapacityResponse.parse(await res.json());
    expect(body.seed).toEqual({
      totalRPS: 100_000,
      concurrentRequests: 10_000,
      instancesNeeded: 100,
      memoryRequired: 200,
      cpuRequired: 100,
    });
    expect(body.firstLimit.id).toBe('d1.primary');
    expect(body.breaks).toContain('d1.primary');
    expect(body.cost.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(body.curve.length).toBeGreaterThan(3);
    expect(body.calibration.engineBarsPerSecond?.command).toBe('npm run bench:engine');
  });

  it('starts from a preset and lets explicit fields override it', async () => {
    const preset = CapacityResponse.parse(
      await json(await api('/api/v1/capacity?preset=internet', { key: readKey })),
    );
    expect(preset.workload).toMatchObject({
      users: 1_000_000,
      sockets: 1_000_000,
      symbols: 5_000,
      burst: 10,
    });
    expect(preset.breaks).toEqual(expect.arrayContaining(['room.pushes', 'gateway.sends']));
    const overridden = CapacityResponse.parse(
      await json(
        await api('/api/v1/capacity?preset=internet&burst=1&socketsPerGateway=500', { key: readKey }),
      ),
    );
    expect(overridden.workload).toMatchObject({ users: 1_000_000, burst: 1, socketsPerGateway: 500 });
    expect(overridden.gateways.count).toBe(2_000);
  });

  it('answers a workload beyond every limit with what breaks', async () => {
    const res = await api(
      '/api/v1/capacity?users=10000000000&rps=1000&sockets=10000000000&symbols=100000&burst=1000&backtestsPerHour=1e9&barsPerBacktest=100000000&sweepsPerHour=1e7&combinations=500',
      { key: readKey },
    );
    expect(res.status).toBe(200);
    const body = CapacityResponse.parse(await res.json());
    expect(body.breaks.length).toBe(body.limits.length);
    expect(Number.isFinite(body.cost.monthlyUsd)).toBe(true);
  });

  it.each([
    ['users=-1', 'users'],
    ['users=abc', 'users'],
    ['users=1.5', 'users'],
    ['users=1e11', 'users'],
    ['rps=NaN', 'rps'],
    ['rps=', 'rps'],
    ['sockets=Infinity', 'sockets'],
    ['burst=0', 'burst'],
    ['zipf=1e308', 'zipf'],
    ['barsPerBacktest=1e9', 'barsPerBacktest'],
    ['combinations=501', 'combinations'],
    ['cacheHitRatio=2', 'cacheHitRatio'],
    ['mixQuotes=0&mixBars=0&mixSymbols=0', 'mixQuotes'],
    ['preset=galaxy', 'preset'],
    ['readReplication=yes', 'readReplication'],
  ])('rejects %s with 400 naming %s', async (query, field) => {
    const res = await api(`/api/v1/capacity?${query}`, { key: readKey });
    expect(res.status).toBe(400);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details?.map((d) => d.path)).toContain(field);
  });

  it('needs a key with the read scope', async () => {
    expect((await api('/api/v1/capacity')).status).toBe(401);
    expect((await api('/api/v1/capacity', { key: ingestKey })).status).toBe(403);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await json<{ paths: Record<string, unknown> }>(await api('/api/openapi.json'));
    expect(Object.keys(doc.paths)).toContain('/api/v1/capacity');
  });
});

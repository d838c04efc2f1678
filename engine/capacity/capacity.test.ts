import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CALIBRATION,
  capacityCurve,
  DEFAULT_WORKLOAD,
  estimateCapacity,
  expectedDistinct,
  WORKLOADS,
  workersCapacity,
  zipfShares,
} from './index';

describe('the seed formula', () => {
  it('is Little’s law over 100-request, 2 GB, 1-core instances', () => {
    expect(estimateCapacity(10_000, 10, 100)).toEqual({
      totalRPS: 100_000,
      concurrentRequests: 10_000,
      instancesNeeded: 100,
      memoryRequired: 200,
      cpuRequired: 100,
    });
  });

  it('rounds instances up: one request in flight still needs an instance', () => {
    const r = estimateCapacity(1, 1, 1);
    expect(r.concurrentRequests).toBeCloseTo(0.001);
    expect(r.instancesNeeded).toBe(1);
    expect(estimateCapacity(0, 5, 100).instancesNeeded).toBe(0);
    expect(estimateCapacity(1_001, 1, 150).instancesNeeded).toBe(2); // 150.15 in flight
  });
});

describe('Zipf popularity', () => {
  it('sums to 1 and falls with rank', () => {
    const s = zipfShares(5_000, 1);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(s[0]! / s[1]!).toBeCloseTo(2, 12);
    expect(s[0]).toBeCloseTo(1 / 9.0945, 3); // H(5000) ≈ 9.0945
  });

  it('counts distinct symbols among draws', () => {
    const s = zipfShares(10, 0); // uniform
    expect(expectedDistinct(s, 1)).toBeCloseTo(1, 12);
    expect(expectedDistinct(s, 10_000)).toBeCloseTo(10, 6);
  });
});

describe('the Workers model', () => {
  it('names the first limit and the users at which it is reached', () => {
    const r = workersCapacity(WORKLOADS.seed);
    // Every authenticated request looks its key up on the D1 primary: 100,000 lookups/s.
    expect(r.firstLimit.id).toBe('d1.primary');
    expect(r.firstLimit.utilization).toBeGreaterThan(99);
    expect(r.usersAtFirstLimit).toBeCloseTo(10_000 / r.firstLimit.utilization, 6);
    expect(r.breaks).toContain('d1.primary');
    expect(r.seed.instancesNeeded).toBe(100);
  });

  it('fits a hobby bot in the plan with headroom everywhere', () => {
    const r = workersCapacity(WORKLOADS.hobby);
    expect(r.breaks).toEqual([]);
    expect(r.firstLimit.utilization).toBeLessThan(0.01);
    expect(r.cost.monthlyUsd).toBeGreaterThanOrEqual(5);
    expect(r.cost.monthlyUsd).toBeLessThan(50);
  });

  it('finds the hot symbol’s fan-out limits at a million clients with a 10× burst', () => {
    const r = workersCapacity(WORKLOADS.internet);
    expect(r.gateways.count).toBe(400);
    expect(r.gateways.hotSymbol.subscribers).toBeGreaterThan(500_000);
    expect(r.breaks).toEqual(expect.arrayContaining(['room.pushes', 'gateway.sends', 'gateway.pushes']));
    expect(r.gateways.hotSymbol.treeDepth).toBeGreaterThanOrEqual(1);
    // The burst sizes the limits, not the bill: the month is costed at the steady rate.
    const steady = workersCapacity({ ...WORKLOADS.internet, burst: 1 });
    expect(r.cost.monthlyUsd).toBe(steady.cost.monthlyUsd);
    expect(r.firstLimit.utilization).toBeGreaterThan(steady.firstLimit.utilization);
  });

  it('places subscriptions by symbol: few symbols per gateway, pushes only where subscribers are', () => {
    const spread = workersCapacity(WORKLOADS.internet);
    const bySymbol = workersCapacity({ ...WORKLOADS.internet, placement: 'symbol' });
    expect(spread.gateways.symbolsPerGateway).toBeGreaterThan(2_000);
    expect(bySymbol.gateways.symbolsPerGateway).toBeLessThan(10);
    expect(bySymbol.breaks).not.toContain('gateway.pushes');
    expect(bySymbol.gateways.hotSymbol.gatewaysSpread).toBe(bySymbol.gateways.hotSymbol.gatewaysAffine);
    expect(bySymbol.cost.monthlyUsd).toBeLessThan(spread.cost.monthlyUsd / 5);
  });

  it('grows cost and load with users, never shrinking', () => {
    const curve = capacityCurve(WORKLOADS.broker);
    for (let i = 1; i < curve.length; i++) {
      expect(curve[i]!.monthlyUsd).toBeGreaterThanOrEqual(curve[i - 1]!.monthlyUsd);
      expect(curve[i]!.utilization).toBeGreaterThanOrEqual(curve[i - 1]!.utilization);
    }
  });

  it('moves session reads off the primary with read replication', () => {
    const w = { ...WORKLOADS.broker, cacheHitRatio: 0 };
    const on = workersCapacity({ ...w, readReplication: true });
    const off = workersCapacity({ ...w, readReplication: false });
    expect(off.d1.primaryQueriesPerSecond - on.d1.primaryQueriesPerSecond).toBeCloseTo(
      on.d1.replicaQueriesPerSecond,
      6,
    );
  });

  it('answers a workload beyond every limit with finite figures', () => {
    const r = workersCapacity({
      ...DEFAULT_WORKLOAD,
      users: 1e9,
      requestsPerUserPerSecond: 100,
      sockets: 1e9,
      symbols: 100_000,
      backtestsPerHour: 1e9,
      barsPerBacktest: 1e8,
      sweepsPerHour: 1e6,
      combinationsPerSweep: 500,
      burst: 100,
    });
    expect(r.breaks.length).toBe(r.limits.length);
    for (const c of r.limits) expect(Number.isFinite(c.utilization)).toBe(true);
    expect(Number.isFinite(r.cost.monthlyUsd)).toBe(true);
  });

  it('costs with the calibrated figures, each naming its command and date', () => {
    for (const f of Object.values(CALIBRATION)) {
      expect(f.value).toBeGreaterThan(0);
      expect(f.command).toMatch(/^npm run bench:/);
      expect(f.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    const r = workersCapacity({
      ...DEFAULT_WORKLOAD,
      sockets: 0,
      backtestsPerHour: 3_600,
      barsPerBacktest: 1e6,
    });
    // Queued runs: the consumer's time per message is bars / the engine's measured bars/s.
    expect(r.queues.consumerSecondsPerMessage).toBeCloseTo(1e6 / CALIBRATION.engineBarsPerSecond.value, 12);
  });
});

describe('the calibration script', () => {
  it('keeps the committed file in the generator’s form when no new results exist', () => {
    const root = resolve(import.meta.dirname, '../..');
    // With no results to read every figure keeps its committed value, so the regenerated text must
    // equal the committed file: a hand edit that the script would undo fails here.
    const out = execFileSync(
      resolve(root, 'node_modules/.bin/tsx'),
      ['scripts/capacity-calibrate.ts', '--check', '--results', resolve(root, 'engine/capacity/no-such-dir')],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out).toMatch(/up to date/);
  });
});

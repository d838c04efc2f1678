import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { parseConfig } from '../../platform/config';
import { KEY_REQUEST_LIMITS, KEY_REQUEST_WINDOW_SECONDS } from '../../platform/rate-limits';

/** The parts of wrangler's resolved config this test reads (its own types are too loose here). */
interface ResolvedConfig {
  vars: Record<string, unknown>;
  durable_objects: { bindings: Array<{ name: string }> };
  d1_databases: Array<{ binding: string; database_id?: string }>;
  kv_namespaces: Array<{ binding: string }>;
  ratelimits: Array<{ name: string; simple: { limit: number; period: number } }>;
  queues: {
    producers?: Array<{ binding: string }>;
    consumers?: Array<{ queue: string; dead_letter_queue?: string }>;
  };
}

function read(env?: string): ResolvedConfig {
  return unstable_readConfig({
    config: 'wrangler.toml',
    ...(env ? { env } : {}),
  }) as unknown as ResolvedConfig;
}

/** Deployed environments differ from local only where they must; production never simulates or injects faults. */
describe('wrangler.toml environments', () => {
  const local = read();
  const staging = read('staging');
  const production = read('production');

  // Vars are read through the one configuration schema: wrangler.toml lists only what differs from
  // its production defaults (platform/config.ts), so an unset var means the default.
  it('turns the simulator and fault injection off in production only', () => {
    const [l, s, p] = [local, staging, production].map((c) => parseConfig(c.vars));
    expect(l?.SIMULATOR_ENABLED).toBe(true);
    expect(l?.FAULT_INJECTION_ENABLED).toBe(true);
    expect(p?.SIMULATOR_ENABLED).toBe(false);
    expect(p?.FAULT_INJECTION_ENABLED).toBe(false);
    expect(p?.ENVIRONMENT).toBe('production');
    expect(s?.ENVIRONMENT).toBe('staging');
  });

  it('binds the same names everywhere, with per-environment resources', () => {
    for (const cfg of [staging, production]) {
      expect(() => parseConfig(cfg.vars)).not.toThrow();
      expect(cfg.durable_objects.bindings.map((b) => b.name).sort()).toEqual(
        local.durable_objects.bindings.map((b) => b.name).sort(),
      );
      expect(cfg.d1_databases.map((d) => d.binding)).toEqual(local.d1_databases.map((d) => d.binding));
      expect(cfg.kv_namespaces.map((k) => k.binding)).toEqual(local.kv_namespaces.map((k) => k.binding));
      expect(cfg.ratelimits.map((r) => r.name).sort()).toEqual(local.ratelimits.map((r) => r.name).sort());
      expect((cfg.queues.producers ?? []).map((q) => q.binding).sort()).toEqual(
        (local.queues.producers ?? []).map((q) => q.binding).sort(),
      );
      expect(cfg.d1_databases[0]!.database_id).not.toBe(local.d1_databases[0]!.database_id);
      const env = cfg.vars.ENVIRONMENT as string;
      for (const c of cfg.queues.consumers ?? []) {
        expect(c.queue.endsWith(`-${env}`)).toBe(true);
        if (c.dead_letter_queue) expect(c.dead_letter_queue.endsWith(`-${env}`)).toBe(true);
      }
    }
  });

  // The publisher socket counts a key's frames itself with these numbers (publish-budget.ts) and
  // the REST middleware states them in RateLimit-* headers: they must be what the bindings allow.
  it('states the request budget each RATE_LIMIT binding enforces', () => {
    for (const cfg of [local, staging, production]) {
      for (const [tier, name] of [
        ['standard', 'RATE_LIMIT_STANDARD'],
        ['high', 'RATE_LIMIT_HIGH'],
      ] as const) {
        const binding = cfg.ratelimits.find((r) => r.name === name);
        expect(binding?.simple).toEqual({
          limit: KEY_REQUEST_LIMITS[tier],
          period: KEY_REQUEST_WINDOW_SECONDS,
        });
      }
    }
  });
});

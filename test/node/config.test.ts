import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { Config, ConfigError, config, parseConfig } from '../../platform/config';

const ROOT = resolve(import.meta.dirname, '../..');

/** Each environment's `[vars]` as wrangler resolves them. */
function wranglerVars(): Record<string, Record<string, string>> {
  const read = (env?: string) =>
    (
      unstable_readConfig({ config: resolve(ROOT, 'wrangler.toml'), ...(env ? { env } : {}) }) as unknown as {
        vars: Record<string, string>;
      }
    ).vars;
  return { local: read(), staging: read('staging'), production: read('production') };
}

describe('configuration (platform/config.ts)', () => {
  it('every environment in wrangler.toml parses, and sets only declared variables', () => {
    const envs = wranglerVars();
    expect(Object.keys(envs).sort()).toEqual(['local', 'production', 'staging']);
    for (const [name, vars] of Object.entries(envs)) {
      expect(
        Object.keys(vars).filter((k) => !(k in Config.shape)),
        name,
      ).toEqual([]);
      expect(() => parseConfig(vars), name).not.toThrow();
    }
  });

  it('wrangler.toml repeats no default: each var it sets differs from the declared default', () => {
    const defaults = parseConfig({});
    for (const [name, vars] of Object.entries(wranglerVars())) {
      const cfg = parseConfig(vars);
      const repeated = Object.keys(vars).filter(
        (k) =>
          k !== 'ENVIRONMENT' &&
          k !== 'ALLOWED_ORIGINS' &&
          JSON.stringify(cfg[k as keyof Config]) === JSON.stringify(defaults[k as keyof Config]),
      );
      expect(repeated, name).toEqual([]);
    }
  });

  it('defaults are production-safe: no simulator, no fault injection, warn logs', () => {
    const cfg = parseConfig({});
    expect(cfg).toMatchObject({
      ENVIRONMENT: 'production',
      LOG_LEVEL: 'warn',
      SIMULATOR_ENABLED: false,
      FAULT_INJECTION_ENABLED: false,
      ALLOWED_ORIGINS: [],
      LOAD_SHED_MAX_INFLIGHT: 48,
    });
    expect(parseConfig(wranglerVars().production ?? {}).STREAM_GATEWAY_SHARDS).toBe(16);
  });

  it('a wrong value fails loudly, naming every offending variable', () => {
    const bad = { LOAD_SHED_MAX_INFLIGHT: 'lots', SIMULATOR_ENABLED: 'yes', METRICS_TOKEN: 'short' };
    let caught: unknown;
    try {
      parseConfig(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.variables.sort()).toEqual(['LOAD_SHED_MAX_INFLIGHT', 'METRICS_TOKEN', 'SIMULATOR_ENABLED']);
    expect(err.message).toMatch(/LOAD_SHED_MAX_INFLIGHT: /);
    expect(err.cause).toBeDefined();
  });

  it('parses once per bindings object', () => {
    const env = { LOG_LEVEL: 'debug' };
    expect(config(env)).toBe(config(env));
    expect(config(env).LOG_LEVEL).toBe('debug');
    expect(parseConfig({ INGEST_PRICE_BANDS: '{"DOGE-USD": 25}' }).INGEST_PRICE_BANDS).toEqual({
      'DOGE-USD': 25,
    });
    expect(parseConfig({ ALLOWED_ORIGINS: 'https://a.example, https://b.example' }).ALLOWED_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});

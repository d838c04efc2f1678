import { z } from 'zod';
import { config } from '../config';

/**
 * Fault injection for chaos tests. Only active when the deployment enables it
 * (`FAULT_INJECTION_ENABLED=true`, never in production) and an admin key has set a config.
 * The config lives in KV so every isolate picks it up within `REFRESH_MS`.
 */
export const FaultConfig = z.object({
  d1ErrorRate: z.number().min(0).max(1).default(0),
  d1LatencyMs: z.number().int().min(0).max(10_000).default(0),
  consumerCrashRate: z.number().min(0).max(1).default(0),
  /** Epoch ms after which the faults switch themselves off, so a forgotten chaos run heals. */
  expiresAt: z.number().int().positive(),
});
export type FaultConfig = z.infer<typeof FaultConfig>;

export const FAULTS_KV_KEY = 'faults:config';
const REFRESH_MS = 1_000;

let cached: { config: FaultConfig | null; loadedAt: number } = { config: null, loadedAt: 0 };

export function faultInjectionAllowed(env: Env): boolean {
  const cfg = config(env);
  return cfg.FAULT_INJECTION_ENABLED && cfg.ENVIRONMENT !== 'production';
}

export class InjectedFault extends Error {
  constructor(what: string) {
    super(`Injected fault: ${what}`);
    this.name = 'InjectedFault';
  }
}

/** Sets the isolate copy at once (the admin request's isolate) and KV for the others. */
export async function setFaults(env: Env, config: FaultConfig | null): Promise<void> {
  cached = { config, loadedAt: Date.now() };
  if (config) {
    const ttl = Math.max(60, Math.ceil((config.expiresAt - Date.now()) / 1000));
    await env.CACHE.put(FAULTS_KV_KEY, JSON.stringify(config), { expirationTtl: ttl });
  } else {
    await env.CACHE.delete(FAULTS_KV_KEY);
  }
}

export async function currentFaults(env: Env): Promise<FaultConfig | null> {
  if (!faultInjectionAllowed(env)) return null;
  const now = Date.now();
  if (now - cached.loadedAt > REFRESH_MS) {
    const raw = await env.CACHE.get(FAULTS_KV_KEY, 'json').catch(() => null);
    const parsed = FaultConfig.safeParse(raw);
    cached = { config: parsed.success ? parsed.data : null, loadedAt: now };
  }
  const config = cached.config;
  if (!config || config.expiresAt < now) return null;
  return config;
}

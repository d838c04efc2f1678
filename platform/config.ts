import { z } from 'zod';

/**
 * Every environment variable and secret the Worker and its Durable Objects read, declared once
 * with its default. Defaults are production's values, so `wrangler.toml` lists only what an
 * environment changes. Parsed once per `env` object; a wrong value throws `ConfigError` naming the
 * variable, and the entry points (workers/index.ts, each object's constructor) parse first, so a
 * bad deploy fails on its first request instead of running with a silently replaced value.
 */

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');
/** An optional secret: absent or empty means "not configured". */
const secret = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** A JSON object in a string var (empty: `{}`), then checked by `shape`. */
const jsonObject = <T extends z.ZodType>(example: string, shape: T) =>
  z
    .string()
    .default('')
    .transform((s, ctx) => {
      if (s.trim() === '') return {};
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected a JSON object such as ${example}` });
        return z.NEVER;
      }
    })
    .pipe(shape);

const PriceBands = jsonObject('{"DOGE-USD": 25}', z.record(z.string(), z.number().positive().max(10_000)));

/**
 * Per-environment flag defaults, JSON: `{"backtests.strategy.prediction": "on"}` serves that
 * variant to every key while no state is stored for the flag (platform/flags/catalog.ts).
 */
const FlagDefaults = jsonObject(
  '{"backtests.sweeps": "on"}',
  z.record(z.string().max(64), z.string().max(32)),
);

/** What we use of an Analytics Engine dataset (declared here so Node tooling can parse configs too). */
interface AnalyticsDataset {
  writeDataPoint(point: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

const AnalyticsBinding = z.custom<AnalyticsDataset>(
  (v) =>
    typeof v === 'object' && v !== null && 'writeDataPoint' in v && typeof v.writeDataPoint === 'function',
  'expected an Analytics Engine binding',
);

export const Config = z.object({
  ENVIRONMENT: z.enum(['local', 'test', 'staging', 'production']).default('production'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
  /** The built-in market simulator (local development and staging). */
  SIMULATOR_ENABLED: flag(false),
  /** The simulator trades around the clock instead of following exchange hours. */
  SIMULATOR_ALWAYS_OPEN: flag(false),
  /** Admin fault injection (D1 errors, room restarts); never honoured in production. */
  FAULT_INJECTION_ENABLED: flag(false),
  /** Browser origins allowed by CORS and the WebSocket Origin checks, comma-separated. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** Bars at or under which a backtest answers inline; larger ones go to the queue. */
  INLINE_BACKTEST_MAX_BARS: int(1, 10_000_000, 50_000),
  /** Largest backtest (bars per run) the API accepts; larger requests get 413. */
  BACKTEST_MAX_BARS: int(1, 100_000_000, 2_000_000),
  /** Sockets per gateway (fan-out shard) before new sockets go to further shards. */
  STREAM_SOCKETS_PER_GATEWAY: int(1, 32_000, 2_500),
  /** Shards new sockets are spread over to begin with. */
  STREAM_GATEWAY_SHARDS: int(1, 256, 4),
  /**
   * Stream sockets one key may hold open at once, across every gateway shard, by rate-limit tier
   * (docs/streaming.md, "Limits"). The connect rate per key is counted by its KeySockets object
   * (STREAM_CONNECTS_PER_MINUTE in durable-objects/key-sockets/client.ts).
   */
  STREAM_KEY_SOCKETS_STANDARD: int(1, 1_000_000, 100),
  /** `high`: 2× the 1,000 sockets of the k6 WebSocket test, so a reconnect wave still fits. */
  STREAM_KEY_SOCKETS_HIGH: int(1, 1_000_000, 2_000),
  /** Ingest bounds (docs/market-data.md). */
  INGEST_MAX_LATENESS_MS: int(1_000, 3_600_000, 60_000),
  INGEST_MAX_CLOCK_SKEW_MS: int(0, 600_000, 5_000),
  INGEST_PRICE_BAND_PCT: z.coerce.number().positive().max(10_000).default(10),
  /** Per-symbol band overrides in percent, JSON: `{"DOGE-USD": 25}`. */
  INGEST_PRICE_BANDS: PriceBands,
  /** Load shedding (platform/load-shed.ts): requests one isolate runs at once. */
  LOAD_SHED_MAX_INFLIGHT: int(1, 10_000, 48),
  /** How long a newcomer may wait for a slot before it is answered 503 + Retry-After. */
  LOAD_SHED_MAX_WAIT_MS: int(0, 10_000, 100),
  /** Median request duration above which the limit adapts down (0: a fixed limit). */
  LOAD_SHED_TARGET_MS: int(0, 60_000, 100),
  /** Feature flag defaults of this environment (variant per flag key); stored flag state wins. */
  FLAG_DEFAULTS: FlagDefaults,
  /** How old an isolate's copy of the flag set may get before it is re-read from D1 (ms). */
  FLAGS_REFRESH_MS: int(250, 600_000, 5_000),
  /** Secret: bearer token for Prometheus scrapes of `/metrics`, at least 16 characters. */
  METRICS_TOKEN: secret(z.string().min(16)),
  /** Secret: Sentry DSN; errors are reported only when set. */
  SENTRY_DSN: secret(z.url()),
  /** Optional Analytics Engine binding for per-request data points. */
  ANALYTICS: AnalyticsBinding.optional(),
});
export type Config = z.infer<typeof Config>;

/** A configuration value that does not parse; `variables` names every offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variables: string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const parsed = new WeakMap<object, Config>();

/** The parsed configuration of `env`, parsed once per bindings object. Throws `ConfigError`. */
export function config(env: object): Config {
  const hit = parsed.get(env);
  if (hit) return hit;
  const value = parseConfig(env as Record<string, unknown>);
  parsed.set(env, value);
  return value;
}

/** Parses a plain record of variables (bindings, or `[vars]` read from wrangler.toml by scripts). */
export function parseConfig(vars: Record<string, unknown>): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(Config.shape)) input[key] = vars[key];
  const result = Config.safeParse(input);
  if (result.success) return result.data;
  const variables = [...new Set(result.error.issues.map((i) => String(i.path[0])))];
  const detail = result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ');
  throw new ConfigError(variables, `Invalid configuration: ${detail}`, { cause: result.error });
}

/** The variables as they arrive in bindings (strings), for tests and scripts that set some of them. */
export type ConfigVars = Partial<Record<Exclude<keyof Config, 'ANALYTICS'>, string>>;

/**
 * A key's request budget per tier (`RateLimitTier`): what the `RATE_LIMIT_STANDARD` /
 * `RATE_LIMIT_HIGH` bindings in wrangler.toml allow (`simple = { limit, period }`, checked by
 * test/node/wrangler-config.test.ts), for headers and for budgets counted elsewhere.
 */
export const KEY_REQUEST_LIMITS = { standard: 600, high: 1_000_000 } as const;
export const KEY_REQUEST_WINDOW_SECONDS = 60;

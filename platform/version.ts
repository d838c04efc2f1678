/** Release identity, reported by health checks, Sentry and model metadata. */
export const VERSION = {
  version: '0.1.0',
  build: typeof __BUILD_ID__ === 'string' ? __BUILD_ID__ : 'dev',
} as const;

declare const __BUILD_ID__: string | undefined;

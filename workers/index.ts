import { simulatorFor } from '../durable-objects/market-simulator/client';
import { type Config, ConfigError, config } from '../platform/config';
import { createLogger, setLogLevel } from '../platform/logger';
import { flushNow } from '../platform/metrics/flush';
import { reportBackgroundError } from '../platform/sentry';
import { createApp } from './app';
import { reapBacktests } from './backtests/backtest-reaper';
import { scheduleRetraining } from './predictions/prediction-training';
import { dispatchQueue } from './queue-dispatch';

export { IngestSession } from '../durable-objects/ingest-session/ingest-session';
export { KeySockets } from '../durable-objects/key-sockets/key-sockets';
export { MarketSimulator } from '../durable-objects/market-simulator/market-simulator';
export { MetricsAggregator } from '../durable-objects/metrics/metrics-aggregator';
export { StreamGateway } from '../durable-objects/stream-gateway/stream-gateway';
export { StreamTickets } from '../durable-objects/stream-tickets/stream-tickets';
export { SymbolRoom } from '../durable-objects/symbol-room/symbol-room';

const app = createApp();
let simulatorChecked = false;

/** Starts the built-in feed once per isolate where the environment enables it (local dev). */
function ensureSimulator(env: Env, cfg: Config, ctx: ExecutionContext): void {
  if (simulatorChecked || !cfg.SIMULATOR_ENABLED) return;
  simulatorChecked = true;
  const stub = simulatorFor(env);
  ctx.waitUntil(
    stub.start().catch((err: unknown) => {
      simulatorChecked = false;
      createLogger({}).warn('simulator start failed', { error: String(err) });
    }),
  );
}

/**
 * Parses the configuration (platform/config.ts) before any work: a wrong value fails here, loudly
 * and with the variable's name, instead of somewhere later with a silently replaced default.
 */
function configured(env: Env): Config {
  try {
    const cfg = config(env);
    setLogLevel(cfg.LOG_LEVEL);
    return cfg;
  } catch (err) {
    if (err instanceof ConfigError)
      createLogger({}).error('invalid configuration', { variables: err.variables, error: err.message });
    throw err;
  }
}

export default {
  async fetch(request, env, ctx) {
    let cfg: Config;
    try {
      cfg = configured(env);
    } catch {
      const traceId = crypto.randomUUID().replaceAll('-', '');
      const message = 'The platform is misconfigured; the logs name the variable.';
      return Response.json(
        { error: { code: 'internal', message, traceId } },
        { status: 500, headers: { 'x-trace-id': traceId } },
      );
    }
    ensureSimulator(env, cfg, ctx);
    return app.fetch(request, env, ctx);
  },
  async queue(batch, env, ctx) {
    configured(env);
    try {
      await dispatchQueue(batch, env, ctx);
    } finally {
      ctx.waitUntil(flushNow(env));
    }
  },
  async scheduled(_controller, env, ctx) {
    ensureSimulator(env, configured(env), ctx);
    const log = createLogger({});
    const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
    const failed = (name: string) => (err: unknown) => {
      log.warn(`cron job ${name} failed`, { error: String(err) });
      reportBackgroundError(env, err, { component: 'cron', name, waitUntil });
    };
    const jobs = Promise.all([
      scheduleRetraining(env, Date.now()).catch(failed('retraining')),
      reapBacktests(env, Date.now()).catch(failed('backtest-reaper')),
    ]);
    // Flush after the jobs, so the queue-depth gauges they report leave this isolate now, not a minute later.
    ctx.waitUntil(jobs.then(() => flushNow(env)));
  },
} satisfies ExportedHandler<Env>;

import { simulatorFor } from '../durable-objects/market-simulator/client';
import { createLogger, setLogLevel } from '../platform/logger';
import { flushNow } from '../platform/metrics/flush';
import { reportBackgroundError } from '../platform/sentry';
import { createApp } from './app';
import { reapBacktests } from './backtests/backtest-reaper';
import { scheduleRetraining } from './predictions/prediction-training';
import { dispatchQueue } from './queue-dispatch';

export { IngestSession } from '../durable-objects/ingest-session/ingest-session';
export { MarketSimulator } from '../durable-objects/market-simulator/market-simulator';
export { MetricsAggregator } from '../durable-objects/metrics/metrics-aggregator';
export { StreamGateway } from '../durable-objects/stream-gateway/stream-gateway';
export { StreamTickets } from '../durable-objects/stream-tickets/stream-tickets';
export { SymbolRoom } from '../durable-objects/symbol-room/symbol-room';

const app = createApp();
let simulatorChecked = false;

/** Starts the built-in feed once per isolate where the environment enables it (local dev). */
function ensureSimulator(env: Env, ctx: ExecutionContext): void {
  if (simulatorChecked || env.SIMULATOR_ENABLED !== 'true') return;
  simulatorChecked = true;
  const stub = simulatorFor(env);
  ctx.waitUntil(
    stub.start().catch((err: unknown) => {
      simulatorChecked = false;
      createLogger({}).warn('simulator start failed', { error: String(err) });
    }),
  );
}

export default {
  async fetch(request, env, ctx) {
    setLogLevel(env.LOG_LEVEL);
    ensureSimulator(env, ctx);
    return app.fetch(request, env, ctx);
  },
  async queue(batch, env, ctx) {
    setLogLevel(env.LOG_LEVEL);
    try {
      await dispatchQueue(batch, env, ctx);
    } finally {
      ctx.waitUntil(flushNow(env));
    }
  },
  async scheduled(_controller, env, ctx) {
    setLogLevel(env.LOG_LEVEL);
    ensureSimulator(env, ctx);
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

import { DEFAULT_WORKLOAD, type Workload } from './workers-model';

/**
 * The named workloads README and docs/scaling.md quote, so that the figures there come from one
 * definition (`npm run capacity -- --preset <name>` prints each).
 */
export const WORKLOADS = {
  /** The seed formula's example: 10,000 users, 10 requests/s each, 100 ms average response. */
  seed: {
    ...DEFAULT_WORKLOAD,
    users: 10_000,
    requestsPerUserPerSecond: 10,
    avgResponseTimeMs: 100,
    sockets: 0,
    backtestsPerHour: 0,
    predictionsPerSecond: 0,
  },
  /** One person's bot: a few symbols streamed, an occasional backtest and sweep. */
  hobby: {
    ...DEFAULT_WORKLOAD,
    users: 1,
    requestsPerUserPerSecond: 0.5,
    sockets: 1,
    symbols: 5,
    subscriptionsPerSocket: 5,
    updatesPerSecondPerSymbol: 1,
    backtestsPerHour: 20,
    sweepsPerHour: 1,
    predictionsPerSecond: 0.01,
  },
  /** A broker's 10,000 traders on 500 symbols, each with a socket and a dashboard polling REST. */
  broker: {
    ...DEFAULT_WORKLOAD,
    users: 10_000,
    requestsPerUserPerSecond: 0.2,
    sockets: 10_000,
    symbols: 500,
    subscriptionsPerSocket: 10,
    updatesPerSecondPerSymbol: 2,
    backtestsPerHour: 500,
    barsPerBacktest: 100_000,
    sweepsPerHour: 20,
    predictionsPerSecond: 50,
  },
  /** docs/scaling.md: 1 million clients, 5,000 symbols (Zipf s = 1), a 10× market-open burst. */
  internet: {
    ...DEFAULT_WORKLOAD,
    users: 1_000_000,
    requestsPerUserPerSecond: 0.05,
    sockets: 1_000_000,
    symbols: 5_000,
    zipfExponent: 1,
    subscriptionsPerSocket: 5,
    updatesPerSecondPerSymbol: 2,
    burst: 10,
    backtestsPerHour: 5_000,
    barsPerBacktest: 100_000,
    sweepsPerHour: 200,
    predictionsPerSecond: 1_000,
  },
} satisfies Record<string, Workload>;

/**
 * Cloudflare's published prices and platform limits, as data with the date they were read. The
 * model never hard-codes a price or a limit elsewhere: update this table (and its date) when the
 * pages change. Sources: developers.cloudflare.com/workers/platform/pricing/,
 * /durable-objects/platform/pricing/ and /limits/, /queues/platform/pricing/ and /limits/,
 * /d1/platform/pricing/ and /limits/, /d1/best-practices/read-replication/, /kv/platform/pricing/.
 */
export interface PriceTable {
  /** When these figures were read from the pages above (ISO date). */
  asOf: string;
  currency: 'USD';
  workers: {
    baseMonthly: number;
    includedRequests: number;
    perMillionRequests: number;
    includedCpuMs: number;
    perMillionCpuMs: number;
  };
  durableObjects: {
    includedRequests: number;
    perMillionRequests: number;
    /** Incoming WebSocket messages are billed as requests at this ratio (20 messages = 1 request). */
    websocketMessagesPerRequest: number;
    includedGbSeconds: number;
    perMillionGbSeconds: number;
    /** Memory every active object is billed for. */
    gbPerObject: number;
  };
  queues: { includedOperations: number; perMillionOperations: number; operationsPerMessage: number };
  d1: {
    includedRowsRead: number;
    perMillionRowsRead: number;
    includedRowsWritten: number;
    perMillionRowsWritten: number;
  };
  kv: { includedReads: number; perMillionReads: number; includedWrites: number; perMillionWrites: number };
}

export interface PlatformLimits {
  asOf: string;
  durableObjects: {
    /** Cloudflare's stated soft limit: about 1,000 requests/s per object (single-threaded). */
    requestsPerSecondPerObject: number;
    /** Default CPU per request (configurable up to 5 minutes). */
    cpuMsPerRequest: number;
  };
  queues: {
    messagesPerSecondPerQueue: number;
    concurrentConsumerInvocations: number;
    maxBatchSize: number;
  };
  d1: {
    /**
     * One database is single-threaded: throughput is 1 / query duration ("an average query of
     * 1 ms gives about 1,000 queries per second", D1 limits page). Writes always go to the primary.
     */
    primaryQueryMs: number;
    /** Read replicas D1 runs (one per supported region) when read replication is enabled. */
    readReplicas: number;
  };
  workers: { cpuMsPerRequest: number };
}

export const PRICES: PriceTable = {
  asOf: '2026-12-06',
  currency: 'USD',
  workers: {
    baseMonthly: 5,
    includedRequests: 10_000_000,
    perMillionRequests: 0.3,
    includedCpuMs: 30_000_000,
    perMillionCpuMs: 0.02,
  },
  durableObjects: {
    includedRequests: 1_000_000,
    perMillionRequests: 0.15,
    websocketMessagesPerRequest: 20,
    includedGbSeconds: 400_000,
    perMillionGbSeconds: 12.5,
    gbPerObject: 0.128,
  },
  queues: { includedOperations: 1_000_000, perMillionOperations: 0.4, operationsPerMessage: 3 },
  d1: {
    includedRowsRead: 25_000_000_000,
    perMillionRowsRead: 0.001,
    includedRowsWritten: 50_000_000,
    perMillionRowsWritten: 1,
  },
  kv: { includedReads: 10_000_000, perMillionReads: 0.5, includedWrites: 1_000_000, perMillionWrites: 5 },
};

export const LIMITS: PlatformLimits = {
  asOf: '2026-12-06',
  durableObjects: { requestsPerSecondPerObject: 1_000, cpuMsPerRequest: 30_000 },
  queues: { messagesPerSecondPerQueue: 5_000, concurrentConsumerInvocations: 250, maxBatchSize: 100 },
  d1: { primaryQueryMs: 1, readReplicas: 6 },
  workers: { cpuMsPerRequest: 30_000 },
};

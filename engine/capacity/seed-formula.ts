/**
 * The seed's capacity formula, exactly as the seed states it: a server fleet sized by Little's
 * law. Requests per second are users × requests per user (per second); requests in flight are
 * that rate × the average response time; one instance serves 100 requests at once and has 2 GB
 * of memory and 1 core. Kept beside the Workers-native model (workers-model.ts) so the two
 * answers can be read side by side: the seed sizes servers, Workers have none to size.
 */
export interface SeedCapacity {
  totalRPS: number;
  concurrentRequests: number;
  instancesNeeded: number;
  /** GB: 2 per instance. */
  memoryRequired: number;
  /** Cores: 1 per instance. */
  cpuRequired: number;
}

/** Requests one instance serves at once, in the seed. */
export const SEED_REQUESTS_PER_INSTANCE = 100;
export const SEED_GB_PER_INSTANCE = 2;
export const SEED_CORES_PER_INSTANCE = 1;

/**
 * @param users concurrent users
 * @param requestsPerUser requests per user per second
 * @param avgResponseTime average response time in milliseconds
 */
export function estimateCapacity(
  users: number,
  requestsPerUser: number,
  avgResponseTime: number,
): SeedCapacity {
  const totalRPS = users * requestsPerUser;
  const concurrentRequests = totalRPS * (avgResponseTime / 1000);
  const instancesNeeded = Math.ceil(concurrentRequests / SEED_REQUESTS_PER_INSTANCE);
  return {
    totalRPS,
    concurrentRequests,
    instancesNeeded,
    memoryRequired: instancesNeeded * SEED_GB_PER_INSTANCE,
    cpuRequired: instancesNeeded * SEED_CORES_PER_INSTANCE,
  };
}

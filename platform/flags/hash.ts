/**
 * The rollout bucket of an API key for one flag: MurmurHash3 (x86, 32 bit) of the flag key and
 * the key id, reduced to 0..9999. Pure arithmetic on the string, so every isolate, every Durable
 * Object and the Node tooling put a key in the same bucket, and a key sees the same variant on
 * every request. The flag key salts the hash so rollouts of different flags are independent (a
 * key in the first 5 % of one flag is not in the first 5 % of every flag).
 */
export const BUCKETS = 10_000;

const encoder = new TextEncoder();

export function murmur3(input: string, seed = 0): number {
  const b = encoder.encode(input);
  const n = b.length;
  let h = seed >>> 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = n - i;
  if (rest >= 3) k ^= (b[i + 2] ?? 0) << 16;
  if (rest >= 2) k ^= (b[i + 1] ?? 0) << 8;
  if (rest >= 1) {
    k ^= b[i] ?? 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 0..9999: the key is inside a rollout of `p` percent when `bucket < p * 100`. */
export function rolloutBucket(flagKey: string, targetingKey: string): number {
  return murmur3(`${flagKey}\u0000${targetingKey}`) % BUCKETS;
}

/**
 * Zipf popularity: symbol of rank k (1-based) gets a share proportional to 1 / k^s. Market-data
 * interest is heavily skewed (a few index ETFs and mega-caps take most subscribers), which is
 * what makes the busiest object, not the average one, the thing to size.
 */
export function zipfShares(n: number, s: number): Float64Array {
  const shares = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) {
    const w = 1 / k ** s;
    shares[k - 1] = w;
    total += w;
  }
  for (let i = 0; i < n; i++) shares[i] = shares[i]! / total;
  return shares;
}

/**
 * Expected number of distinct symbols among `draws` independent picks from `shares` (one pick
 * per subscription): how many symbols one fan-out shard carries when sockets land on shards
 * without regard to what they subscribe.
 */
export function expectedDistinct(shares: Float64Array, draws: number): number {
  let sum = 0;
  for (const p of shares) sum += 1 - Math.exp(draws * Math.log1p(-Math.min(p, 1 - 1e-15)));
  return sum;
}

/** A downsampled curve: bar indices (increasing) and their values. */
export interface DownsampledCurve {
  index: Uint32Array;
  value: Float64Array;
}

/**
 * Largest-Triangle-Three-Buckets downsampling of a per-bar curve to at most `points`
 * points, keeping the first and last bar and the visually salient extremes in between
 * (Steinarsson 2013). Pure and O(n). Returns every point when `points` ≥ length.
 */
export function downsampleEquity(values: Float64Array, points: number): DownsampledCurve {
  const n = values.length;
  const m = Math.floor(points);
  if (!(m >= 2)) throw new RangeError('points must be at least 2');
  if (m >= n) {
    const index = new Uint32Array(n);
    for (let i = 0; i < n; i++) index[i] = i;
    return { index, value: Float64Array.from(values) };
  }
  const index = new Uint32Array(m);
  const every = (n - 2) / (m - 2);
  let a = 0;
  index[0] = 0;
  for (let b = 0; b < m - 2; b++) {
    // Average of the next bucket: the third corner of the triangle.
    const nextStart = Math.floor((b + 1) * every) + 1;
    const nextEnd = Math.min(n, Math.floor((b + 2) * every) + 1);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += j;
      avgY += values[j]!;
    }
    const len = nextEnd - nextStart;
    avgX /= len;
    avgY /= len;
    const start = Math.floor(b * every) + 1;
    const end = Math.floor((b + 1) * every) + 1;
    const ax = a;
    const ay = values[a]!;
    let best = -1;
    let pick = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (values[j]! - ay) - (ax - j) * (avgY - ay));
      if (area > best) {
        best = area;
        pick = j;
      }
    }
    index[b + 1] = pick;
    a = pick;
  }
  index[m - 1] = n - 1;
  const value = new Float64Array(m);
  for (let k = 0; k < m; k++) value[k] = values[index[k]!]!;
  return { index, value };
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Median, min and max of samples. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

/** Throughput in M units/s from a duration in ms. */
export const mps = (units: number, ms: number): number => units / ms / 1000;

/** `12.3 M/s (11.0–13.1)` */
export function fmtRate(s: Summary): string {
  return `${s.median.toFixed(1).padStart(7)} M/s  (${s.min.toFixed(1)}–${s.max.toFixed(1)}, n=${s.runs})`;
}

/** Writes a JSON result under bench-results/ (gitignored) and returns its path. */
export function writeResult(name: string, data: unknown): string {
  const dir = fileURLToPath(new URL('../bench-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Seeded geometric random walk of closes (for indicator benchmarks). */
export function randomCloses(n: number, seed = 1): Float64Array {
  let a = seed >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  let p = 100;
  for (let i = 0; i < n; i++) {
    p *= Math.exp(0.001 * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
    out[i] = p;
  }
  return out;
}

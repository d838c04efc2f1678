import { describe, expect, it } from 'vitest';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-depth';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('jsonNestingExceeds', () => {
  it('counts objects and arrays up to the limit, and one more is over', () => {
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestingExceeds(`${'{"a":'.repeat(3)}1${'}'.repeat(3)}`, 3)).toBe(false);
    expect(jsonNestingExceeds(`${'{"a":['.repeat(2)}1${']}'.repeat(2)}`, 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(JSON.stringify({ s: '[[[[{{{{' }), 2)).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ s: 'a"[[[[\\"[[[' }), 2)).toBe(false);
    expect(jsonNestingExceeds(`{"s":"\\\\"}`, 1)).toBe(false);
    expect(jsonNestingExceeds(`{"s":"\\\\","t":[[1]]}`, 2)).toBe(true);
  });

  it('scans 50,000 levels without recursing', () => {
    expect(jsonNestingExceeds(nested(50_000))).toBe(true);
    expect(jsonNestingExceeds(nested(1_000_000), 2_000_000)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { FlagClient, type FlagSnapshot, resolveVariant } from '../../platform/flags/evaluate';
import { murmur3, rolloutBucket } from '../../platform/flags/hash';

const KEYS = Array.from({ length: 100_000 }, (_, i) => `key_${i.toString(36)}${(i * 7919).toString(36)}`);

function snapshot(states: FlagSnapshot['states']): FlagSnapshot {
  return { states, envDefaults: {}, source: 'd1', loadedAt: 0 };
}

describe('flag rollout by a stable hash of the API key id', () => {
  it('matches the MurmurHash3 x86_32 reference vectors', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('test', 0)).toBe(0xba6bd213);
    expect(murmur3('Hello, world!', 0)).toBe(0xc0363e43);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });

  it.each([1, 5, 25, 30, 50, 75, 99])('serves %i percent of 100,000 key ids within ±1 point', (pct) => {
    const on = KEYS.filter(
      (k) =>
        resolveVariant('backtests.sweeps', { enabled: true, variant: 'off', rollout: pct }, k).variant ===
        'off',
    ).length;
    const fraction = (on / KEYS.length) * 100;
    console.log(`rollout ${pct}%: ${fraction.toFixed(2)}% of ${KEYS.length} keys`);
    expect(Math.abs(fraction - pct)).toBeLessThan(1);
  });

  it('gives a key the same variant on every evaluation, and a key inside 5 % stays inside at 25 %', () => {
    const at = (rollout: number) =>
      new FlagClient(
        snapshot(new Map([['backtests.execution', { enabled: true, variant: 'queued', rollout }]])),
      );
    const five = KEYS.filter(
      (k) => at(5).getStringValue('backtests.execution', 'x', { targetingKey: k }) === 'queued',
    );
    for (const k of five.slice(0, 500)) {
      expect(at(5).getStringValue('backtests.execution', 'x', { targetingKey: k })).toBe('queued');
      expect(at(25).getStringValue('backtests.execution', 'x', { targetingKey: k })).toBe('queued');
    }
  });

  it('rolls different flags out independently (the flag key salts the hash)', () => {
    const a = KEYS.filter((k) => rolloutBucket('backtests.sweeps', k) < 1_000);
    const both = a.filter((k) => rolloutBucket('predictions.evaluation', k) < 1_000).length;
    // 10 % of 10 % ≈ 1 % of all keys if independent (≈ 1,000); identical hashes would give 10,000.
    expect(both).toBeGreaterThan(800);
    expect(both).toBeLessThan(1_200);
  });

  it('serves the default to everyone when disabled, and the variant to everyone at 100 %', () => {
    const off = resolveVariant('backtests.sweeps', { enabled: false, variant: 'off', rollout: 100 }, 'key_1');
    expect(off).toEqual({ variant: 'on', reason: 'DISABLED' });
    const all = resolveVariant('backtests.sweeps', { enabled: true, variant: 'off', rollout: 100 }, 'key_1');
    expect(all).toEqual({ variant: 'off', reason: 'STATIC' });
  });
});

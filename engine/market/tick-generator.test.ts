import { describe, expect, it } from 'vitest';
import { CATALOG } from './catalog';
import { checkTick } from './tick-bounds';
import { TickGenerator } from './tick-generator';

describe('TickGenerator', () => {
  it('stays inside the default ingest bounds: every tick within 10 % of the last trade', () => {
    for (const spec of CATALOG) {
      const gen = new TickGenerator(spec, spec.price, 7, 'test');
      let reference: number | null = spec.price;
      const start = 1_800_000_000_000;
      // Two simulated hours in half-second steps, as the simulator's alarm draws them.
      for (let t = start; t < start + 7_200_000; t += 500) {
        for (const tick of gen.advance(t, t + 500, 3)) {
          const bounds = {
            now: t + 500,
            maxLatenessMs: 60_000,
            maxClockSkewMs: 5_000,
            reference,
            bandPct: 10,
          };
          expect(checkTick(tick, bounds)).toBeNull();
          if (tick.type === 'trade') reference = tick.price;
        }
      }
    }
  });
});

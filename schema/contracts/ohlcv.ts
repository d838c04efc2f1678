import { z } from 'zod';

/**
 * One stored bar as rows, snapshots and series carry it (`time` = bar open, epoch ms UTC). Plain
 * zod: the stream protocol, which browsers load, uses it. The REST `Bar` (market.ts) is the compact
 * `t/o/h/l/c/v` wire form, and imports (ingest.ts) validate their own looser input.
 */
export const OhlcvRowSchema = z.object({
  time: z.number().int(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});
export type OhlcvRowShape = z.infer<typeof OhlcvRowSchema>;

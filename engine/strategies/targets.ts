import { signalArray } from './signals';
import { type CompiledStrategy, Signal, type Targets } from './types';

/**
 * A strategy that holds the position `targets[i]` (-1 short, 0 flat, 1 long) decided at
 * bar i's close: entering, reversing or exiting only when the held position differs.
 * `warmup` is the last bar without a decision (the first acted on is `warmup + 1`).
 */
export function fromTargets(targets: Targets, warmup = 0, out?: Uint8Array): CompiledStrategy {
  const n = targets.length;
  const s = signalArray(n, out);
  for (let i = 0; i < n; i++) {
    const t = targets[i]!;
    if (t === 1) s[i] = Signal.ENTER_LONG;
    else if (t === -1) s[i] = Signal.ENTER_SHORT;
    else if (t === 0) s[i] = Signal.EXIT_LONG | Signal.EXIT_SHORT;
    else throw new RangeError(`targets[${i}] must be -1, 0 or 1`);
  }
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError('warmup must be a non-negative integer');
  return { warmup, signals: s };
}

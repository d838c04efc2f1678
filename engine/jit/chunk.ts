/**
 * Bars per call of a hot-loop kernel.
 *
 * A V8 trap behind most of the engine's lost throughput: a loop that runs once per call
 * over a whole series (a million bars) is optimised by on-stack replacement, mid-loop.
 * On Node 22 that OSR code kept loop-carried doubles boxed wherever the loop branches
 * (one heap number per iteration: tens of MB of garbage per pass, 3–6× slower), and
 * while it exists the function itself is not tiered up (still so after 40 calls of
 * `sma` over 1 M points). A kernel called once per {@link CHUNK} elements is optimised as
 * an ordinary function after a few calls instead. State that crosses chunks travels in a
 * small Float64Array (closure variables would box doubles too).
 */
export const CHUNK = 4096;

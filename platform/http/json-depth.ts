/**
 * Deepest `{`/`[` nesting any JSON body of the API may have. The deepest legitimate body is a
 * backtest rule set (6 levels of all/any, two JSON levels each, inside the request): about 20.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether raw JSON text nests objects/arrays deeper than `max`, found by one iterative scan
 * (brackets inside strings do not count). It runs on the text before anything parses it:
 * zod's recursive schemas, `JSON.stringify` and the rule compiler all recurse once per level
 * and overflow the stack on bodies a few thousand levels deep. Malformed text is left to the
 * parser; this only answers the depth question.
 */
export function jsonNestingExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) {
      inString = true;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

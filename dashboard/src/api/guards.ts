/**
 * Small runtime checks for JSON from the API. The dashboard does not ship zod (it would cost
 * a large share of the JS budget); these guards reject shapes the UI cannot render.
 */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `body.data` when the body is an envelope, else the body. */
export function unwrap(body: unknown): unknown {
  return isObject(body) && 'data' in body ? body.data : body;
}

export function expectObject(v: unknown, what: string): Json {
  if (!isObject(v)) throw new Error(`Unexpected ${what} from the server.`);
  return v;
}

export function expectArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`Unexpected ${what} from the server.`);
  return v;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../engine/market/catalog';
import { SLO, STREAM_SYMBOLS } from '../../load-tests/lib/slo.js';

const ROOT = join(import.meta.dirname, '../..');
const source = (p: string) => readFileSync(join(ROOT, p), 'utf8');

// k6 modules cannot load in Node; the scripts are type-checked against @types/k6
// (`npm run typecheck:k6`) and their shape is checked here.
describe('load-test scripts', () => {
  it('stream over every symbol the simulator trades', () => {
    expect([...STREAM_SYMBOLS].sort()).toEqual(CATALOG.map((i) => i.symbol).sort());
  });

  it('the WebSocket script uses k6/websockets, has a default export beside its scenario, and its thresholds are the SLOs', () => {
    const ws = source('load-tests/k6-websocket-test.js');
    expect(ws).toMatch(/from 'k6\/websockets'/);
    expect(ws).not.toMatch(/from 'k6\/ws'/);
    expect(ws).toMatch(/export default function/);
    expect(ws).toMatch(/exec: 'stream'/);
    expect(ws).toMatch(/export function stream\(/);
    expect(ws).toContain('ws_delivery_ms: [`p(95)<$' + '{SLO.wsDeliveryP95Ms}`]');
    expect(ws).toContain('ws_errors: [`rate<$' + '{SLO.wsErrorRate}`]');
    expect(SLO.wsDeliveryP95Ms).toBe(50);
  });
});

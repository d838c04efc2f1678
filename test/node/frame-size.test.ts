import { describe, expect, it } from 'vitest';
import { frameTooBig } from '../../platform/frame-size';

describe('frameTooBig', () => {
  it('counts text frames in UTF-8 bytes, as they travelled', () => {
    // 400 'é' are 400 UTF-16 units but 800 bytes.
    expect(frameTooBig('é'.repeat(400), 500)).toBe(true);
    expect(frameTooBig('e'.repeat(400), 500)).toBe(false);
    expect(frameTooBig('€'.repeat(166), 500)).toBe(false); // 498 bytes
    expect(frameTooBig('€'.repeat(167), 500)).toBe(true); // 501 bytes
    expect(frameTooBig('x'.repeat(501), 500)).toBe(true);
  });

  it('counts binary frames by byteLength', () => {
    expect(frameTooBig(new ArrayBuffer(500), 500)).toBe(false);
    expect(frameTooBig(new ArrayBuffer(501), 500)).toBe(true);
  });
});

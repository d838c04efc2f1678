const encoder = new TextEncoder();

/**
 * Whether a WebSocket frame is over `limit` bytes as it travelled (UTF-8 for text). Every UTF-16
 * unit is at most 3 UTF-8 bytes, so the encoding is only counted when it could matter.
 */
export function frameTooBig(message: string | ArrayBuffer, limit: number): boolean {
  if (typeof message !== 'string') return message.byteLength > limit;
  if (message.length * 3 <= limit) return false;
  if (message.length > limit) return true;
  return encoder.encode(message).length > limit;
}

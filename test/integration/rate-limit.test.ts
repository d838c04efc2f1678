import { beforeAll, describe, expect, it } from 'vitest';
import { api, json, makeKey, seedSymbols } from './helpers';

beforeAll(async () => {
  await seedSymbols();
});

describe('per-key rate limits', () => {
  it('answers 429 with Retry-After and RateLimit headers once a standard key spends its budget, without touching other keys', async () => {
    const key = await makeKey(['read'], 'standard');
    const other = await makeKey(['read'], 'standard');
    let limited: Response | null = null;
    // Windows are aligned to the clock: if one rolls over mid-loop, the budget is spent twice, never more.
    for (let i = 0; i < 1_300 && !limited; i++) {
      const res = await api('/api/v1/symbols', { key });
      if (res.status === 429) limited = res;
      else {
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBe('600');
      }
    }
    expect(limited).not.toBeNull();
    const res = limited!;
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('rate_limited');
    expect((await api('/api/v1/symbols', { key: other })).status).toBe(200);
  });
});

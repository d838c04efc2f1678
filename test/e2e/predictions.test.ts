import { describe, expect, it } from 'vitest';
import { call, demoKey } from './helpers';

interface Prediction {
  horizon: string;
  direction: string;
  votes: Array<{ name: string }>;
  modelVersion: string;
  asOfBarTime: number;
  cached: boolean;
}

describe('predictions on the seeded demo market', () => {
  it('predicts 1d and 1h for a stock and a coin, then serves the repeat from cache', async () => {
    const key = demoKey('trade');
    for (const [symbol, horizon] of [
      ['AAPL', '1d'],
      ['BTC-USD', '1h'],
    ] as const) {
      const res = await call(`/api/v1/predictions/${symbol}?horizon=${horizon}`, { key });
      expect(res.status).toBe(200);
      const first = (await res.json()) as Prediction;
      expect(first.horizon).toBe(horizon);
      expect(first.votes.map((v) => v.name)).toEqual([
        'trend',
        'meanReversion',
        'volatilityRegime',
        'learned',
      ]);
      expect(first.asOfBarTime).toBeLessThan(Date.now());
      const again = (await (
        await call(`/api/v1/predictions/${symbol}?horizon=${horizon}`, { key })
      ).json()) as Prediction;
      // A bar may close between the two calls (1h); the second is then a miss for the new bar.
      if (again.asOfBarTime === first.asOfBarTime) expect(again.cached).toBe(true);
      expect(again.modelVersion).toBe(first.modelVersion);
    }
  });

  it('serves the evaluation and the training queue depth, and documents the routes', async () => {
    const key = demoKey('trade');
    const evaluation = await call('/api/v1/predictions/AAPL/evaluation?horizon=1d', { key });
    expect(evaluation.status).toBe(200);
    const body = (await evaluation.json()) as { evaluation: { ensemble: { count: number } } };
    expect(body.evaluation.ensemble.count).toBeGreaterThan(100);
    const status = await call('/api/v1/predictions/training/status', { key });
    expect(status.status).toBe(200);
    const doc = (await (await call('/api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/predictions/{symbol}',
        '/api/v1/predictions/{symbol}/evaluation',
        '/api/v1/predictions',
      ]),
    );
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type OhlcvRow, type OhlcvSeries, seriesFromRows } from '../data/bars';
import { evaluateWalkForward } from './evaluate';
import { Evaluation } from './evaluation-schema';
import { predict } from './predict';
import { Prediction, TrainedModel } from './schema';
import { trainModel } from './train';

// The shared market files live beside the repository (../shared/data) and are never copied in.
const DATA_DIR = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const FILES = [
  { name: 'GOOG', minRows: 1500 },
  { name: 'BTCUSD', minRows: 40 },
  { name: 'EURUSD', minRows: 4000 },
];

function loadCsv(path: string): OhlcvSeries {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const rows: OhlcvRow[] = lines.map((line) => {
    const [date = '', open, high, low, close, volume] = line.split(',');
    const iso = date.includes(' ') ? `${date.replace(' ', 'T')}Z` : `${date}T00:00:00Z`;
    return {
      time: Date.parse(iso),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
    };
  });
  return seriesFromRows(rows);
}

describe.each(FILES)('real data: $name', ({ name, minRows }) => {
  const path = `${DATA_DIR}${name}.csv`;
  const present = existsSync(path);
  if (!present && process.env.CI === 'true') {
    it('has its data file', () => {
      expect.fail(`${path} is missing`);
    });
    return;
  }
  it.skipIf(!present)(`evaluates walk-forward without claiming unearned skill (needs ${path})`, () => {
    const series = loadCsv(path);
    const e = evaluateWalkForward(series, { horizon: 1 });
    expect(Evaluation.safeParse(e).success).toBe(true);
    expect(e.ensemble.count).toBeGreaterThanOrEqual(minRows);
    // The ensemble falls back to the base rate when its agents show no out-of-sample skill,
    // so it must not be much worse than the base rate.
    expect(e.ensemble.logLoss).toBeLessThan(e.baselines.baseRate.logLoss + 0.01);
    const model = trainModel(series, { horizon: 1 });
    expect(TrainedModel.safeParse(JSON.parse(JSON.stringify(model))).success).toBe(true);
    expect(Prediction.safeParse(predict(model, series)).success).toBe(true);
  });
});

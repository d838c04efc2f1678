import { describe, expect, it } from 'vitest';
import { parseOhlcvCsv } from '../data/csv';
import { isoTime } from '../stats/periods';
import { loadReference, missingShared, readShared, relClose } from './reference.test-helper';
import { runBacktest } from './run-backtest';
import { statsToJson } from './serialize';

const FILES = ['goog_sma10_30_c002.json', 'goog_sma10_30_c0_finalize.json'];
const DURATIONS = new Set([
  'Duration',
  'Max. Drawdown Duration',
  'Avg. Drawdown Duration',
  'Max. Trade Duration',
  'Avg. Trade Duration',
]);

describe('parity with backtesting.py 0.6.6 on GOOG.csv', () => {
  const csv = readShared('data/GOOG.csv');
  for (const file of FILES) {
    const ref = loadReference(file);
    describe(file, () => {
      if (ref === null || csv === null) {
        missingShared(`../shared/reference/${file} and ../shared/data/GOOG.csv`);
        return;
      }
      const parsed = parseOhlcvCsv(csv);
      if (!parsed.ok) throw new Error(`GOOG.csv rejected: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
      const series = parsed.series;
      const result = runBacktest({
        series,
        strategy: { name: 'sma-cross', params: { fast: ref.strategy.fast, slow: ref.strategy.slow } },
        cash: ref.config.cash,
        commission: ref.config.commission,
        spread: ref.config.spread,
        margin: ref.config.margin,
        tradeOnClose: ref.config.tradeOnClose,
        finalizeTrades: ref.config.finalizeTrades,
      });

      it('closed trades: exact sizes, bars and prices; pnl, commission, return within 1e-9', () => {
        expect(result.trades.length).toBe(ref.trades.length);
        ref.trades.forEach((t, k) => {
          const got = result.trades[k]!;
          expect({
            k,
            size: got.size,
            entryBar: got.entryBar,
            exitBar: got.exitBar,
            entryPrice: got.entryPrice,
            exitPrice: got.exitPrice,
          }).toEqual({
            k,
            size: t.size,
            entryBar: t.entryBar,
            exitBar: t.exitBar,
            entryPrice: t.entryPrice,
            exitPrice: t.exitPrice,
          });
          expect(isoTime(got.entryTime)).toBe(t.entryTime);
          expect(isoTime(got.exitTime)).toBe(t.exitTime);
          for (const key of ['pnl', 'commission', 'returnPct'] as const) {
            expect(relClose(got[key], t[key]), `trade ${k} ${key}: ${got[key]} vs ${t[key]}`).toBe(true);
          }
        });
      });

      it('open trades', () => {
        expect(result.openTrades.length).toBe(ref.openTrades.length);
        ref.openTrades.forEach((t, k) => {
          const got = result.openTrades[k]!;
          expect([got.size, got.entryBar, got.entryPrice, got.markPrice]).toEqual([
            t.size,
            t.entryBar,
            t.entryPrice,
            t.markPrice,
          ]);
          expect(isoTime(got.entryTime)).toBe(t.entryTime);
          for (const key of ['pnl', 'commission', 'returnPct', 'entryCommissionCharged'] as const) {
            expect(relClose(got[key], t[key]), `open trade ${k} ${key}`).toBe(true);
          }
        });
      });

      it('equity and drawdown per bar within 1e-9', () => {
        expect(result.equity.length).toBe(ref.equity.length);
        const bad: string[] = [];
        ref.equity.forEach((e, i) => {
          if (!relClose(result.equity[i]!, e.equity))
            bad.push(`equity[${i}] ${result.equity[i]} vs ${e.equity}`);
          if (!relClose(result.drawdown[i]!, e.drawdownPct))
            bad.push(`drawdown[${i}] ${result.drawdown[i]} vs ${e.drawdownPct}`);
        });
        expect(bad.slice(0, 5)).toEqual([]);
      });

      it('every statistic, same keys in the same order; durations exact', () => {
        const got = statsToJson(result.stats);
        expect(Object.keys(got)).toEqual(Object.keys(ref.stats));
        for (const [key, want] of Object.entries(ref.stats)) {
          const have = got[key];
          if (typeof want === 'string' || DURATIONS.has(key)) expect(have, key).toBe(want);
          else
            expect(relClose(typeof have === 'number' ? have : null, want), `${key}: ${have} vs ${want}`).toBe(
              true,
            );
        }
      });
    });
  }
});

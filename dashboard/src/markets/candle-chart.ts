import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Bar } from '../api/market-api';
import { chartTheme, DOWN, UP } from '../lib/chart-theme';

export interface CandleChart {
  setBars(bars: Bar[], intraday: boolean): void;
  update(bar: Bar): void;
  dispose(): void;
}

const time = (ms: number) => (ms / 1000) as UTCTimestamp;
const volumeOf = (b: Bar) => ({ time: time(b.t), value: b.v, color: b.c >= b.o ? `${UP}80` : `${DOWN}80` });

/** Candlesticks with a volume histogram beneath (loaded lazily: this module pulls in lightweight-charts). */
export function createCandleChart(container: HTMLElement): CandleChart {
  const chart: IChartApi = createChart(container, { ...chartTheme(), autoSize: true });
  chart.applyOptions({
    layout: { ...chartTheme().layout, background: { type: ColorType.Solid, color: 'transparent' } },
  });
  const candles: ISeriesApi<'Candlestick'> = chart.addSeries(CandlestickSeries, {
    upColor: UP,
    downColor: DOWN,
    borderVisible: false,
    wickUpColor: UP,
    wickDownColor: DOWN,
  });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
  const volume: ISeriesApi<'Histogram'> = chart.addSeries(HistogramSeries, {
    priceFormat: { type: 'volume' },
    priceScaleId: 'volume',
    lastValueVisible: false,
    priceLineVisible: false,
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });

  return {
    setBars(bars, intraday) {
      chart.applyOptions({ timeScale: { timeVisible: intraday, secondsVisible: false } });
      candles.setData(bars.map((b) => ({ time: time(b.t), open: b.o, high: b.h, low: b.l, close: b.c })));
      volume.setData(bars.map(volumeOf));
      chart.timeScale().fitContent();
    },
    update(b) {
      candles.update({ time: time(b.t), open: b.o, high: b.h, low: b.l, close: b.c });
      volume.update(volumeOf(b));
    },
    dispose() {
      chart.remove();
    },
  };
}

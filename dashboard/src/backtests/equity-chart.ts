import { AreaSeries, ColorType, createChart, LineSeries, type UTCTimestamp } from 'lightweight-charts';
import type { EquityPoint } from '../api/backtests-api';
import { chartTheme, DOWN } from '../lib/chart-theme';

const time = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

/** Equity curve above its drawdown (in %, a second pane). Loaded lazily with lightweight-charts. */
export function renderEquityChart(container: HTMLElement, points: EquityPoint[]): { dispose(): void } {
  const chart = createChart(container, { ...chartTheme(), autoSize: true });
  chart.applyOptions({
    layout: { ...chartTheme().layout, background: { type: ColorType.Solid, color: 'transparent' } },
  });
  const equity = chart.addSeries(LineSeries, {
    color: '#4c8dff',
    lineWidth: 2,
    priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
  });
  const drawdown = chart.addSeries(
    AreaSeries,
    {
      lineColor: DOWN,
      topColor: `${DOWN}10`,
      bottomColor: `${DOWN}60`,
      lineWidth: 1,
      priceFormat: { type: 'percent' },
    },
    1,
  );
  // Points may share a second after downsampling; the chart needs strictly increasing times.
  const unique: EquityPoint[] = [];
  for (const p of points) {
    const last = unique[unique.length - 1];
    if (last && time(last.t) === time(p.t)) unique[unique.length - 1] = p;
    else if (!last || time(p.t) > time(last.t)) unique.push(p);
  }
  equity.setData(unique.map((p) => ({ time: time(p.t), value: p.equity })));
  drawdown.setData(
    unique.map((p) => ({ time: time(p.t), value: -100 * (p.drawdown > 1 ? p.drawdown / 100 : p.drawdown) })),
  );
  chart.panes()[1]?.setStretchFactor(0.35);
  chart.timeScale().fitContent();
  return { dispose: () => chart.remove() };
}

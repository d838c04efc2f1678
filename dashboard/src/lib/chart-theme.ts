import type { ChartOptions, DeepPartial } from 'lightweight-charts';

export const UP = '#26a69a';
export const DOWN = '#ef5350';

/** Chart colours taken from the page's CSS variables, so charts follow the colour scheme. */
export function chartTheme(): DeepPartial<ChartOptions> {
  const css = getComputedStyle(document.documentElement);
  const text = css.getPropertyValue('--fg-muted').trim() || '#9aa4b2';
  const grid = css.getPropertyValue('--grid').trim() || '#2a2f3a';
  return {
    layout: { textColor: text, fontFamily: 'system-ui, sans-serif' },
    grid: { vertLines: { color: grid }, horzLines: { color: grid } },
    rightPriceScale: { borderColor: grid },
    timeScale: { borderColor: grid },
    crosshair: { mode: 0 },
  };
}

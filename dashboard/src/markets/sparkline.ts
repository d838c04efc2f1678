import { svg } from '../lib/dom';

const W = 96;
const H = 28;

/** An inline SVG sparkline; `update` redraws it in place. */
export function sparkline(label: string): { el: SVGSVGElement; update(values: number[]): void } {
  const el = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'sparkline', role: 'img' });
  const title = svg('title');
  const line = svg('polyline', { fill: 'none', 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' });
  el.append(title, line);
  return {
    el,
    update(values) {
      title.textContent = values.length > 1 ? `${label}: recent closes` : `${label}: no history yet`;
      if (values.length < 2) {
        line.setAttribute('points', '');
        return;
      }
      const min = Math.min(...values);
      const max = Math.max(...values);
      const span = max - min || 1;
      const step = W / (values.length - 1);
      const points = values.map(
        (v, i) => `${(i * step).toFixed(1)},${(H - 2 - ((v - min) / span) * (H - 4)).toFixed(1)}`,
      );
      line.setAttribute('points', points.join(' '));
    },
  };
}

import type { CurvePoint } from '../api/capacity-api';
import { h, svg } from '../lib/dom';

const W = 640;
const H = 240;
const PAD = { left: 64, right: 16, top: 16, bottom: 40 };

/** Log–log chart of monthly cost against users; each point is coloured by the limit reached first there. */
export function capacityChart(points: CurvePoint[]): HTMLElement {
  const usable = points.filter((p) => p.users > 0 && p.monthlyUsd > 0);
  const root = h('figure', { class: 'capacity-chart', 'data-testid': 'capacity-chart' });
  if (usable.length < 2) {
    root.append(h('p', { class: 'state state-empty' }, 'Not enough points to draw.'));
    return root;
  }
  const lx = usable.map((p) => Math.log10(p.users));
  const ly = usable.map((p) => Math.log10(p.monthlyUsd));
  const [x0, x1] = [Math.min(...lx), Math.max(...lx)];
  const [y0, y1] = [Math.floor(Math.min(...ly)), Math.ceil(Math.max(...ly))];
  const sx = (v: number) => PAD.left + ((v - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const limits = [...new Set(usable.map((p) => p.firstLimit))];
  const colour = (id: string) => `hsl(${(limits.indexOf(id) * 67 + 200) % 360} 70% 55%)`;

  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', width: '100%' });
  chart.setAttribute('aria-label', 'Monthly cost against users, coloured by the first limit reached');
  for (let y = y0; y <= y1; y++) {
    chart.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: sy(y), y2: sy(y), class: 'grid' }));
    const t = svg('text', { x: PAD.left - 6, y: sy(y) + 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = `$${compact(10 ** y)}`;
    chart.append(t);
  }
  usable.forEach((p, i) => {
    const t = svg('text', { x: sx(lx[i]!), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'axis' });
    t.textContent = compact(p.users);
    chart.append(t);
  });
  const label = svg('text', { x: (W + PAD.left) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' });
  label.textContent = 'users (sockets scale alike)';
  chart.append(label);
  chart.append(
    svg('polyline', {
      points: usable.map((_, i) => `${sx(lx[i]!)},${sy(ly[i]!)}`).join(' '),
      class: 'cost-line',
      fill: 'none',
    }),
  );
  usable.forEach((p, i) => {
    const c = svg('circle', {
      cx: sx(lx[i]!),
      cy: sy(ly[i]!),
      r: p.utilization >= 1 ? 6 : 4,
      fill: colour(p.firstLimit),
      'data-limit': p.firstLimit,
    });
    const title = svg('title');
    title.textContent = `${compact(p.users)} users: $${compact(p.monthlyUsd)}/month; first limit ${p.firstLimit} at ${Math.round(p.utilization * 100)} %`;
    c.append(title);
    chart.append(c);
  });
  root.append(
    chart,
    h(
      'figcaption',
      { class: 'legend' },
      ...limits.map((id) =>
        h(
          'span',
          { class: 'legend-item' },
          h('span', { class: 'swatch', style: `background:${colour(id)}` }),
          id,
        ),
      ),
      h('span', { class: 'muted' }, ' · large dots: that limit is already passed'),
    ),
  );
  return root;
}

function compact(n: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

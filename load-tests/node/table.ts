import { passes, type Row } from './scenarios';
import { errorRate } from './stats';

/** The harness's result table: one row per scenario against its SLO. */
function fmtMs(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(1)} ms` : '—';
}

export function table(rows: Row[]): string {
  const head = [
    'scenario',
    'n',
    'ok',
    '4xx',
    'p50',
    'p95',
    'p99',
    '5xx',
    'err %',
    'SLO p95',
    'SLO err',
    'verdict',
    'note',
  ];
  const body = rows.map((r) => [
    r.scenario,
    String(r.summary.count),
    String(r.summary.ok),
    String(r.summary.count - r.summary.ok - r.summary.serverErrors - r.summary.failed),
    fmtMs(r.summary.p50),
    fmtMs(r.summary.p95),
    fmtMs(r.summary.p99),
    String(r.summary.serverErrors),
    (errorRate(r.summary) * 100).toFixed(2),
    `< ${r.p95Slo} ms`,
    `≤ ${(r.errorSlo * 100).toFixed(1)} %`,
    passes(r) ? 'PASS' : 'MISS',
    [r.note, r.summary.dropped ? `${r.summary.dropped} dropped` : ''].filter(Boolean).join('; '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

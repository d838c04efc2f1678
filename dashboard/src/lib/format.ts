const priceFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const moneyFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const numFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

export const formatPrice = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : priceFmt.format(n);

export const formatMoney = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : moneyFmt.format(n);

export const formatInt = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : intFmt.format(n);

export const formatNumber = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : numFmt.format(n);

/** A fraction (0.012) as a signed percentage (+1.20 %). */
export function formatPct(fraction: number | null | undefined, signed = true): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  const s = (fraction * 100).toFixed(2);
  return `${signed && fraction > 0 ? '+' : ''}${s} %`;
}

export const formatTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export const formatMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined || !Number.isFinite(ms)
    ? '—'
    : ms < 10
      ? `${ms.toFixed(1)} ms`
      : `${Math.round(ms)} ms`;

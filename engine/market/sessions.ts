import type { InstrumentSpec } from './catalog';

const MINUTE = 60_000;

const nyFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hour12: false,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  weekday: 'short',
});

export interface LocalParts {
  weekday: string;
  minutesOfDay: number;
}

/** Weekday and minutes since midnight in New York (the XNYS session's clock) at `t`. */
export function nyParts(t: number): LocalParts {
  let weekday = '';
  let hour = 0;
  let minute = 0;
  for (const p of nyFormatter.formatToParts(new Date(t))) {
    if (p.type === 'weekday') weekday = p.value;
    else if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { weekday, minutesOfDay: hour * 60 + minute };
}

/** Whether the instrument trades at `t` (exchange holidays are not modelled). */
export function isOpen(spec: Pick<InstrumentSpec, 'session'>, t: number): boolean {
  if (spec.session === '24x7') return true;
  const day = new Date(t).getUTCDay();
  if (spec.session === 'FX') {
    // FX trades Sunday 22:00 UTC to Friday 22:00 UTC.
    const h = new Date(t).getUTCHours();
    if (day === 6) return false;
    if (day === 0) return h >= 22;
    if (day === 5) return h < 22;
    return true;
  }
  const { weekday, minutesOfDay } = nyParts(t);
  if (weekday === 'Sat' || weekday === 'Sun') return false;
  return minutesOfDay >= 9 * 60 + 30 && minutesOfDay < 16 * 60;
}

/** Whether a calendar day (UTC midnight `dayStart`) has a session for the instrument. */
export function isTradingDay(spec: Pick<InstrumentSpec, 'session'>, dayStart: number): boolean {
  if (spec.session === '24x7') return true;
  const d = new Date(dayStart).getUTCDay();
  return d !== 0 && d !== 6;
}

/** The open minutes of the UTC day starting at `dayStart`, as minute start times. */
export function sessionMinutes(spec: Pick<InstrumentSpec, 'session'>, dayStart: number): number[] {
  const out: number[] = [];
  if (!isTradingDay(spec, dayStart) && spec.session !== 'FX') return out;
  for (let m = 0; m < 1440; m++) {
    const t = dayStart + m * MINUTE;
    if (isOpen(spec, t)) out.push(t);
  }
  return out;
}

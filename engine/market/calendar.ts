import { DAY_MS } from '../stats/periods';
import type { InstrumentSpec } from './catalog';
import { isOpen, isTradingDay, nyParts } from './sessions';

/**
 * Session-aware bar arithmetic for the prediction bars (`1h`, `1d` on the UTC grid): which bar
 * comes next in a symbol's calendar, and when its session actually closes. Weekends and
 * exchange hours are modelled, exchange holidays are not (as in sessions.ts).
 */
export type SessionTimeframe = '1h' | '1d';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Loop bounds: far past any weekend, so a bad calendar cannot spin. */
const MAX_DAYS = 14;
const MAX_HOURS = MAX_DAYS * 24;

export interface SessionBar {
  /** Open time of the bar on the UTC grid. */
  open: number;
  /** When its session's last minute ends (e.g. 16:00 New York for an XNYS day). */
  close: number;
}

type Calendar = Pick<InstrumentSpec, 'session'>;

/** End of the trading session of the UTC day starting at `dayStart` (assumed a trading day). */
export function sessionClose(spec: Calendar, dayStart: number): number {
  if (spec.session === '24x7') return dayStart + DAY_MS;
  if (spec.session === 'FX')
    return new Date(dayStart).getUTCDay() === 5 ? dayStart + 22 * HOUR : dayStart + DAY_MS;
  // 16:00 New York is 20:00 UTC in summer time (EDT) and 21:00 UTC in winter (EST).
  const summer = dayStart + 20 * HOUR;
  return nyParts(summer).minutesOfDay === 16 * 60 ? summer : dayStart + 21 * HOUR;
}

/** Whether the hour bucket starting at `open` holds session minutes (sessions open and close on :00 or :30). */
function hourHasSession(spec: Calendar, open: number): boolean {
  return isOpen(spec, open) || isOpen(spec, open + 30 * MINUTE) || isOpen(spec, open + 59 * MINUTE);
}

/** The first bar after the one opened at `barOpen` that has a session in the symbol's calendar. */
export function nextSessionBar(spec: Calendar, timeframe: SessionTimeframe, barOpen: number): SessionBar {
  if (timeframe === '1d') {
    const day = Math.floor(barOpen / DAY_MS) * DAY_MS;
    for (let d = 1; d <= MAX_DAYS; d++) {
      const open = day + d * DAY_MS;
      if (isTradingDay(spec, open)) return { open, close: sessionClose(spec, open) };
    }
    return { open: day + DAY_MS, close: day + 2 * DAY_MS };
  }
  const hour = Math.floor(barOpen / HOUR) * HOUR;
  for (let h = 1; h <= MAX_HOURS; h++) {
    const open = hour + h * HOUR;
    if (hourHasSession(spec, open)) return { open, close: open + HOUR };
  }
  return { open: hour + HOUR, close: hour + 2 * HOUR };
}

/** The first session bar whose close is after `t` (the bar in session at `t`, or the next one). */
export function sessionBarClosingAfter(spec: Calendar, timeframe: SessionTimeframe, t: number): SessionBar {
  const barMs = timeframe === '1d' ? DAY_MS : HOUR;
  let bar = nextSessionBar(spec, timeframe, Math.floor(t / barMs) * barMs - barMs);
  for (let i = 0; bar.close <= t && i < MAX_DAYS; i++) bar = nextSessionBar(spec, timeframe, bar.open);
  return bar;
}

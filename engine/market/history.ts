import type { OhlcvRow } from '../data/bars';
import { hashSeed, mulberry32 } from '../random';
import { DAY_MS } from '../stats/periods';
import { type InstrumentSpec, roundToTick } from './catalog';
import { PriceProcess } from './price-process';
import { isTradingDay, sessionMinutes } from './sessions';

const MINUTE = 60_000;

export interface History {
  daily: OhlcvRow[];
  minute: OhlcvRow[];
}

export interface HistoryOptions {
  /** End of history (exclusive), epoch ms; rounded down to the minute. */
  end: number;
  dailyDays?: number;
  minuteDays?: number;
  seed?: number;
}

/**
 * Deterministic history for one instrument: `dailyDays` of daily bars and the last `minuteDays`
 * of 1-minute bars, sessions respected. The daily bars of the minute period are aggregated from
 * the minute bars so both timeframes agree. Prices are scaled so the series ends at `spec.price`.
 */
export function generateHistory(spec: InstrumentSpec, options: HistoryOptions): History {
  const seed = (options.seed ?? 42) ^ hashSeed(spec.symbol);
  const rand = mulberry32(seed);
  const end = Math.floor(options.end / MINUTE) * MINUTE;
  const todayStart = Math.floor(end / DAY_MS) * DAY_MS;
  const dailyDays = options.dailyDays ?? 730;
  const minuteDays = options.minuteDays ?? 30;
  const minuteStart = todayStart - (minuteDays - 1) * DAY_MS;
  const firstDay = todayStart - (dailyDays - 1) * DAY_MS;

  const proc = new PriceProcess(spec.price, { annualVol: spec.annualVol }, rand);
  const daily: OhlcvRow[] = [];
  const minute: OhlcvRow[] = [];
  let lastClose = spec.price;
  let lastTime = firstDay;

  for (let day = firstDay; day < minuteStart; day += DAY_MS) {
    const gapSeconds = (day - lastTime) / 1000;
    if (!isTradingDay(spec, day)) continue;
    const open = gapSeconds > 86_400 ? proc.step(gapSeconds - 86_400 * 0.7) : lastClose;
    let high = open;
    let low = open;
    let close = open;
    const sub = 12;
    const secondsPerSub = (spec.session === '24x7' ? 86_400 : 23_400) / sub;
    for (let k = 0; k < sub; k++) {
      close = proc.step(secondsPerSub);
      if (close > high) high = close;
      if (close < low) low = close;
    }
    if (spec.session !== '24x7') proc.step(86_400 - 23_400);
    daily.push({ time: day, open, high, low, close, volume: dailyVolume(spec, rand, proc.currentAnnualVol) });
    lastClose = close;
    lastTime = day;
  }

  for (let day = minuteStart; day <= todayStart; day += DAY_MS) {
    const mins = sessionMinutes(spec, day).filter((t) => t < end);
    if (mins.length === 0) continue;
    let dayBar: OhlcvRow | null = null;
    let prevT = mins[0]!;
    for (const t of mins) {
      if (t - prevT > MINUTE) proc.step((t - prevT - MINUTE) / 1000);
      prevT = t;
      const open = proc.price;
      let high = open;
      let low = open;
      let close = open;
      for (let k = 0; k < 4; k++) {
        close = proc.step(15);
        if (close > high) high = close;
        if (close < low) low = close;
      }
      const bar = { time: t, open, high, low, close, volume: minuteVolume(spec, rand, mins.length) };
      minute.push(bar);
      if (!dayBar) dayBar = { ...bar, time: day };
      else {
        dayBar.high = Math.max(dayBar.high, high);
        dayBar.low = Math.min(dayBar.low, low);
        dayBar.close = close;
        dayBar.volume += bar.volume;
      }
    }
    if (dayBar) daily.push(dayBar);
  }

  const finalClose = minute.at(-1)?.close ?? daily.at(-1)?.close ?? spec.price;
  const scale = spec.price / finalClose;
  const fix = (b: OhlcvRow): OhlcvRow => {
    const o = roundToTick(b.open * scale, spec.tickSize);
    const c = roundToTick(b.close * scale, spec.tickSize);
    return {
      time: b.time,
      open: o,
      high: Math.max(o, c, roundToTick(b.high * scale, spec.tickSize)),
      low: Math.min(o, c, roundToTick(b.low * scale, spec.tickSize)),
      close: c,
      volume: Math.round(b.volume * 100) / 100,
    };
  };
  return { daily: daily.map(fix), minute: minute.map(fix) };
}

function dailyVolume(spec: InstrumentSpec, rand: () => number, vol: number): number {
  const base = spec.tradeSize * 20_000;
  return base * (0.6 + rand()) * (vol / spec.annualVol);
}

function minuteVolume(spec: InstrumentSpec, rand: () => number, minutesInDay: number): number {
  const base = (spec.tradeSize * 20_000) / Math.max(1, minutesInDay);
  return base * (0.3 + 1.4 * rand());
}

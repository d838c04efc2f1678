import { CHUNK } from '../jit/chunk';
import type { TradeColumns } from './types';

/** Sums and extremes over closed trades that the trade statistics are built from. */
export interface TradeSummary {
  count: number;
  commissions: number;
  wins: number;
  nLoss: number;
  /** Best and worst return (NaN without trades). */
  best: number;
  worst: number;
  sumRet: number;
  /** Sums of positive and of negative returns. */
  sumPos: number;
  sumNeg: number;
  sumPl: number;
  sumWinPl: number;
  sumLossPl: number;
  /** Σ log(1 + return), over trades with 1 + return > 0. */
  logSum: number;
  /** Some trade lost everything (1 + return ≤ 0): the geometric mean is 0. */
  anyRuin: boolean;
  /** Longest and total trade duration, ms (NaN longest without trades). */
  maxDurationMs: number;
  sumDurationMs: number;
  meanPl: number;
  /** Sample deviation of PnL (NaN below 2 trades). */
  plStd: number;
  /** Bars inside the union of the inclusive [entry, exit] intervals. */
  coveredBars: number;
}

// Slots of the running state carried between chunks.
const COMMISSIONS = 0;
const WINS = 1;
const BEST = 2;
const WORST = 3;
const SUM_RET = 4;
const SUM_POS = 5;
const SUM_NEG = 6;
const SUM_PL = 7;
const SUM_WIN_PL = 8;
const SUM_LOSS_PL = 9;
const N_LOSS = 10;
const LOG_SUM = 11;
const ANY_RUIN = 12;
const MAX_DUR = 13;
const SUM_DUR = 14;
const ST_SIZE = 15;

/** One pass (in chunks, see CHUNK) over the closed trades' columns. */
export function tradeSummary(trades: TradeColumns, time: Float64Array): TradeSummary {
  const nt = trades.count;
  const st = new Float64Array(ST_SIZE);
  st[BEST] = Number.NaN;
  st[WORST] = Number.NaN;
  st[MAX_DUR] = Number.NaN;
  for (let k = 0; k < nt; k += CHUNK) sumChunk(trades, time, k, Math.min(nt, k + CHUNK), st);
  const meanPl = nt > 0 ? st[SUM_PL]! / nt : Number.NaN;
  let plSS = 0;
  for (let k = 0; k < nt; k += CHUNK)
    plSS = squaresChunk(trades.pnl, meanPl, k, Math.min(nt, k + CHUNK), plSS);
  return {
    count: nt,
    commissions: st[COMMISSIONS]!,
    wins: st[WINS]!,
    nLoss: st[N_LOSS]!,
    best: st[BEST]!,
    worst: st[WORST]!,
    sumRet: st[SUM_RET]!,
    sumPos: st[SUM_POS]!,
    sumNeg: st[SUM_NEG]!,
    sumPl: st[SUM_PL]!,
    sumWinPl: st[SUM_WIN_PL]!,
    sumLossPl: st[SUM_LOSS_PL]!,
    logSum: st[LOG_SUM]!,
    anyRuin: st[ANY_RUIN] !== 0,
    maxDurationMs: st[MAX_DUR]!,
    sumDurationMs: st[SUM_DUR]!,
    meanPl,
    plStd: nt > 1 ? Math.sqrt(plSS / (nt - 1)) : Number.NaN,
    coveredBars: coveredBars(trades.entryBar, trades.exitBar, nt),
  };
}

function sumChunk(
  trades: TradeColumns,
  time: Float64Array,
  from: number,
  to: number,
  st: Float64Array,
): void {
  const { pnl, returnPct, commission, entryBar, exitBar } = trades;
  let commissions = st[COMMISSIONS]!;
  let wins = st[WINS]!;
  let best = st[BEST]!;
  let worst = st[WORST]!;
  let sumRet = st[SUM_RET]!;
  let sumPos = st[SUM_POS]!;
  let sumNeg = st[SUM_NEG]!;
  let sumPl = st[SUM_PL]!;
  let sumWinPl = st[SUM_WIN_PL]!;
  let sumLossPl = st[SUM_LOSS_PL]!;
  let nLoss = st[N_LOSS]!;
  let logSum = st[LOG_SUM]!;
  let anyRuin = st[ANY_RUIN]!;
  let maxDur = st[MAX_DUR]!;
  let sumDur = st[SUM_DUR]!;
  for (let k = from; k < to; k++) {
    commissions += commission[k]!;
    const pl = pnl[k]!;
    const r = returnPct[k]!;
    sumPl += pl;
    if (pl > 0) {
      wins++;
      sumWinPl += pl;
    } else if (pl < 0) {
      nLoss++;
      sumLossPl += pl;
    }
    if (!(r <= best)) best = r;
    if (!(r >= worst)) worst = r;
    sumRet += r;
    if (r > 0) sumPos += r;
    else if (r < 0) sumNeg += r;
    const g = r + 1;
    if (g <= 0) anyRuin = 1;
    else logSum += Math.log(g);
    const dur = time[exitBar[k]!]! - time[entryBar[k]!]!;
    sumDur += dur;
    if (!(dur <= maxDur)) maxDur = dur;
  }
  st[COMMISSIONS] = commissions;
  st[WINS] = wins;
  st[BEST] = best;
  st[WORST] = worst;
  st[SUM_RET] = sumRet;
  st[SUM_POS] = sumPos;
  st[SUM_NEG] = sumNeg;
  st[SUM_PL] = sumPl;
  st[SUM_WIN_PL] = sumWinPl;
  st[SUM_LOSS_PL] = sumLossPl;
  st[N_LOSS] = nLoss;
  st[LOG_SUM] = logSum;
  st[ANY_RUIN] = anyRuin;
  st[MAX_DUR] = maxDur;
  st[SUM_DUR] = sumDur;
}

/** `ss` plus Σ (pnl − mean)² over [from, to), summed in order. */
function squaresChunk(pnl: Float64Array, mean: number, from: number, to: number, ss: number): number {
  for (let k = from; k < to; k++) {
    const d = pnl[k]! - mean;
    ss += d * d;
  }
  return ss;
}

/** Number of bars inside the union of the inclusive [entry, exit] intervals. */
function coveredBars(entry: Float64Array, exit: Float64Array, m: number): number {
  if (m === 0) return 0;
  let sorted = true;
  for (let k = 1; k < m && sorted; k++) sorted = entry[k]! >= entry[k - 1]!;
  const order = sorted ? null : Array.from({ length: m }, (_, k) => k).sort((a, b) => entry[a]! - entry[b]!);
  // covered so far, start and end of the current union interval.
  const st = new Float64Array([0, -1, -2]);
  for (let j = 0; j < m; j += CHUNK) coverChunk(entry, exit, order, j, Math.min(m, j + CHUNK), st);
  return st[0]! + (st[2]! - st[1]! + 1);
}

function coverChunk(
  entry: Float64Array,
  exit: Float64Array,
  order: number[] | null,
  from: number,
  to: number,
  st: Float64Array,
): void {
  let covered = st[0]!;
  let curStart = st[1]!;
  let curEnd = st[2]!;
  for (let j = from; j < to; j++) {
    const k = order === null ? j : order[j]!;
    const s = entry[k]!;
    const e = exit[k]!;
    if (s > curEnd) {
      if (curEnd >= curStart) covered += curEnd - curStart + 1;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) curEnd = e;
  }
  st[0] = covered;
  st[1] = curStart;
  st[2] = curEnd;
}

/** A strategy parameter as the form edits it. */
export interface ParamSpec {
  name: string;
  kind: 'int' | 'number' | 'boolean';
  default: number | boolean;
  min?: number;
  max?: number;
}

export interface StrategySpec {
  name: string;
  label: string;
  params: ParamSpec[];
}

const int = (name: string, def: number, min: number, max: number): ParamSpec => ({
  name,
  kind: 'int',
  default: def,
  min,
  max,
});
const num = (name: string, def: number, min: number, max: number): ParamSpec => ({
  name,
  kind: 'number',
  default: def,
  min,
  max,
});
const bool = (name: string, def: boolean): ParamSpec => ({ name, kind: 'boolean', default: def });

/**
 * The engine's built-in strategies (engine/strategies/registry.ts) with their parameters.
 * Mirrored here rather than imported: the engine's zod schemas would cost much of the JS
 * budget. The server validates every run, so a drift shows up as a clear validation error.
 */
export const STRATEGIES: StrategySpec[] = [
  {
    name: 'sma-cross',
    label: 'SMA crossover',
    params: [int('fast', 10, 1, 1000), int('slow', 20, 2, 5000), bool('longOnly', false)],
  },
  {
    name: 'ema-cross',
    label: 'EMA crossover',
    params: [int('fast', 12, 1, 1000), int('slow', 26, 2, 5000), bool('longOnly', false)],
  },
  {
    name: 'rsi-reversion',
    label: 'RSI mean reversion',
    params: [
      int('period', 14, 2, 1000),
      num('oversold', 30, 0, 100),
      num('overbought', 70, 0, 100),
      num('exitLevel', 50, 0, 100),
      bool('allowShort', true),
    ],
  },
  {
    name: 'bollinger-breakout',
    label: 'Bollinger breakout',
    params: [int('period', 20, 2, 1000), num('stdDev', 2, 0.1, 10), bool('allowShort', true)],
  },
  {
    name: 'macd',
    label: 'MACD crossover',
    params: [
      int('fast', 12, 1, 1000),
      int('slow', 26, 2, 5000),
      int('signal', 9, 1, 1000),
      bool('longOnly', false),
    ],
  },
  {
    name: 'donchian-breakout',
    label: 'Donchian breakout',
    params: [int('entryPeriod', 20, 2, 1000), int('exitPeriod', 10, 1, 1000), bool('allowShort', true)],
  },
  { name: 'buy-and-hold', label: 'Buy and hold', params: [] },
  {
    name: 'prediction',
    label: 'Prediction agents',
    params: [int('horizon', 1, 1, 60), int('retrainEvery', 20, 5, 500), bool('allowShort', true)],
  },
];

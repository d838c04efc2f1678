import { z } from 'zod';
import { bollingerBreakout } from './bollinger-breakout';
import { buyAndHold } from './buy-and-hold';
import { donchianBreakout } from './donchian-breakout';
import { emaCross } from './ema-cross';
import { macdCross } from './macd-cross';
import { prediction } from './prediction';
import { rsiReversion } from './rsi-reversion';
import { smaCross } from './sma-cross';
import type { StrategyDefinition } from './types';

/** Built-in strategies by name. */
export const strategies = {
  'sma-cross': smaCross,
  'ema-cross': emaCross,
  'rsi-reversion': rsiReversion,
  'bollinger-breakout': bollingerBreakout,
  macd: macdCross,
  'donchian-breakout': donchianBreakout,
  'buy-and-hold': buyAndHold,
  prediction,
} as const satisfies Record<string, StrategyDefinition>;

/** Name of a built-in strategy. */
export type StrategyName = keyof typeof strategies;

/** The names, for schemas and listings. */
export const STRATEGY_NAMES = Object.keys(strategies) as [StrategyName, ...StrategyName[]];

/** zod enum of built-in strategy names. */
export const StrategyNameSchema = z.enum(STRATEGY_NAMES);

/** Looks a strategy up by name (undefined for an unknown name). */
export function getStrategy(name: string): StrategyDefinition | undefined {
  return Object.hasOwn(strategies, name) ? strategies[name as StrategyName] : undefined;
}

/**
 * Each parameter of a strategy with its own schema (type and range, without the rules that
 * relate parameters, such as fast < slow); undefined for an unknown name. Sweeps check every
 * grid key and value against it.
 */
export function parameterSchemas(name: string): Readonly<Record<string, z.ZodType>> | undefined {
  const def = getStrategy(name);
  return def?.params instanceof z.ZodObject ? (def.params.shape as Record<string, z.ZodType>) : undefined;
}

/** One listing entry: name, description and the JSON Schema of its parameters. */
export interface StrategyInfo {
  name: StrategyName;
  description: string;
  params: unknown;
}

/** Every built-in strategy with its parameter JSON Schema (for the API's listing). */
export function listStrategies(): StrategyInfo[] {
  return STRATEGY_NAMES.map((name) => ({
    name,
    description: strategies[name].description,
    params: z.toJSONSchema(strategies[name].params, { io: 'input', unrepresentable: 'any' }),
  }));
}

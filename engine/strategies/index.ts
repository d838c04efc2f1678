export { IndicatorCache } from './indicator-cache';
export {
  getStrategy,
  listStrategies,
  STRATEGY_NAMES,
  type StrategyInfo,
  type StrategyName,
  StrategyNameSchema,
  strategies,
} from './registry';
export { compileRules } from './rules/compile';
export {
  IndicatorExpr,
  MAX_RULE_COMPARISONS,
  MAX_RULE_DEPTH,
  MAX_RULE_PERIOD,
  PriceExpr,
  RuleComparison,
  RuleCondition,
  RuleExpr,
  RuleOperator,
  RuleSet,
} from './rules/schema';
export { fromTargets } from './targets';
export { type CompiledStrategy, Signal, type StrategyDefinition, type Targets } from './types';

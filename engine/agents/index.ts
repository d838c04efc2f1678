export { type EvaluateOptions, evaluateWalkForward } from './evaluate';
export { Evaluation, PredictorMetrics } from './evaluation-schema';
export { FEATURE_NAMES, FEATURE_WINDOW } from './features';
export type { TrainOptions } from './fit-model';
export { InsufficientHistoryError, minimumHistory } from './history';
export { type ApiHorizon, horizonBars } from './horizon';
export { lastClosedIndex, medianSpacing, predict } from './predict';
export {
  AGENT_NAMES,
  AgentName,
  AgentVote,
  Direction,
  Prediction,
  ReturnEstimate,
  TrainedModel,
} from './schema';
export { type PredictionTargetOptions, predictionTargets } from './strategy';
export { type TrainModelOptions, trainModel } from './train';

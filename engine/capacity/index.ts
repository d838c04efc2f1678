export { CALIBRATION, type CalibratedFigure, type Calibration } from './calibration';
export { LIMITS, type PlatformLimits, PRICES, type PriceTable } from './price-table';
export { estimateCapacity, type SeedCapacity } from './seed-formula';
export {
  type CapacityReport,
  capacityCurve,
  DEFAULT_WORKLOAD,
  type LimitCheck,
  type Workload,
  workersCapacity,
} from './workers-model';
export { WORKLOADS } from './workloads';
export { expectedDistinct, zipfShares } from './zipf';

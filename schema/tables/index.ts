export * from './auth';
export * from './backtests';
export * from './flags';
export * from './market';
export * from './models';

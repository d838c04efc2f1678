export * from './auth';
export * from './backtests';
export * from './market';
export * from './models';

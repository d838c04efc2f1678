import type { MarketSimulator } from './market-simulator';

/** The market-simulator family's one door: a single object named `default` drives the local feed. */
export function simulatorFor(env: Env): DurableObjectStub<MarketSimulator> {
  return env.MARKET_SIMULATOR.get(env.MARKET_SIMULATOR.idFromName('default'));
}

/**
 * The simulated market's instruments. Price levels, tick sizes and annual volatilities are
 * of the right order for each name so that charts and spreads look like the real thing.
 */
export interface InstrumentSpec {
  symbol: string;
  name: string;
  assetClass: 'equity' | 'crypto' | 'fx';
  exchange: string;
  currency: string;
  tickSize: number;
  lotSize: number;
  session: '24x7' | 'XNYS' | 'FX';
  timezone: string;
  /** Price at the end of the generated history. */
  price: number;
  /** Annualised volatility of returns. */
  annualVol: number;
  /** Typical spread in ticks. */
  spreadTicks: number;
  /** Typical trade size. */
  tradeSize: number;
}

export const CATALOG: readonly InstrumentSpec[] = [
  {
    symbol: 'AAPL',
    name: 'Apple Inc.',
    assetClass: 'equity',
    exchange: 'XNAS',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    session: 'XNYS',
    timezone: 'America/New_York',
    price: 228.4,
    annualVol: 0.26,
    spreadTicks: 1,
    tradeSize: 100,
  },
  {
    symbol: 'MSFT',
    name: 'Microsoft Corp.',
    assetClass: 'equity',
    exchange: 'XNAS',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    session: 'XNYS',
    timezone: 'America/New_York',
    price: 441.2,
    annualVol: 0.24,
    spreadTicks: 2,
    tradeSize: 50,
  },
  {
    symbol: 'NVDA',
    name: 'NVIDIA Corp.',
    assetClass: 'equity',
    exchange: 'XNAS',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    session: 'XNYS',
    timezone: 'America/New_York',
    price: 138.7,
    annualVol: 0.52,
    spreadTicks: 1,
    tradeSize: 200,
  },
  {
    symbol: 'TSLA',
    name: 'Tesla Inc.',
    assetClass: 'equity',
    exchange: 'XNAS',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    session: 'XNYS',
    timezone: 'America/New_York',
    price: 251.3,
    annualVol: 0.58,
    spreadTicks: 2,
    tradeSize: 100,
  },
  {
    symbol: 'SPY',
    name: 'SPDR S&P 500 ETF',
    assetClass: 'equity',
    exchange: 'ARCX',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    session: 'XNYS',
    timezone: 'America/New_York',
    price: 588.9,
    annualVol: 0.15,
    spreadTicks: 1,
    tradeSize: 300,
  },
  {
    symbol: 'BRK.B',
    name: 'Berkshire Hathaway Inc. Class B',
    assetClass: 'equity',
    exchange: 'XNYS',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    session: 'XNYS',
    timezone: 'America/New_York',
    price: 471.5,
    annualVol: 0.17,
    spreadTicks: 3,
    tradeSize: 50,
  },
  {
    symbol: 'BTC-USD',
    name: 'Bitcoin / US Dollar',
    assetClass: 'crypto',
    exchange: 'SIM',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 0.0001,
    session: '24x7',
    timezone: 'UTC',
    price: 96_250,
    annualVol: 0.55,
    spreadTicks: 50,
    tradeSize: 0.05,
  },
  {
    symbol: 'ETH-USD',
    name: 'Ether / US Dollar',
    assetClass: 'crypto',
    exchange: 'SIM',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 0.001,
    session: '24x7',
    timezone: 'UTC',
    price: 3_410,
    annualVol: 0.7,
    spreadTicks: 10,
    tradeSize: 0.8,
  },
  {
    symbol: 'SOL-USD',
    name: 'Solana / US Dollar',
    assetClass: 'crypto',
    exchange: 'SIM',
    currency: 'USD',
    tickSize: 0.001,
    lotSize: 0.01,
    session: '24x7',
    timezone: 'UTC',
    price: 187.25,
    annualVol: 0.9,
    spreadTicks: 20,
    tradeSize: 12,
  },
  {
    symbol: 'DOGE-USD',
    name: 'Dogecoin / US Dollar',
    assetClass: 'crypto',
    exchange: 'SIM',
    currency: 'USD',
    tickSize: 0.00001,
    lotSize: 1,
    session: '24x7',
    timezone: 'UTC',
    price: 0.3842,
    annualVol: 1.1,
    spreadTicks: 20,
    tradeSize: 5000,
  },
  {
    symbol: 'EURUSD',
    name: 'Euro / US Dollar',
    assetClass: 'fx',
    exchange: 'SIM',
    currency: 'USD',
    tickSize: 0.00001,
    lotSize: 1000,
    session: 'FX',
    timezone: 'UTC',
    price: 1.0542,
    annualVol: 0.07,
    spreadTicks: 8,
    tradeSize: 100_000,
  },
];

export function instrument(symbol: string): InstrumentSpec | undefined {
  return CATALOG.find((s) => s.symbol === symbol);
}

export function roundToTick(price: number, tick: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick) - 1e-9));
  return Number((Math.round(price / tick) * tick).toFixed(decimals));
}

/*
 * Trading rules the ticket estimates with: the leverage tiers of seed 004
 * (docs/perps.md), the taker fee and each market's tick and step (migration
 * 0003_markets; the API does not expose them yet). The server stays the judge:
 * these only shape the form and its estimates.
 */
import {
  ZERO,
  add,
  cmp,
  dec,
  divide,
  floorToStep,
  fromInt,
  max,
  min,
  mul,
  rescale,
  sub,
  toPlain,
  trimZeros,
  type Dec,
} from './decimal';

export interface LeverageTier {
  minLeverage: number;
  maxLeverage: number;
  /** Initial margin, basis points of the notional. */
  initialMarginBps: number;
  maintenanceMarginBps: number;
  /** Largest position notional in USDT; null when unlimited. */
  maxNotional: string | null;
}

export const LEVERAGE_TIERS: readonly LeverageTier[] = [
  { minLeverage: 1, maxLeverage: 20, initialMarginBps: 500, maintenanceMarginBps: 250, maxNotional: null },
  { minLeverage: 21, maxLeverage: 50, initialMarginBps: 200, maintenanceMarginBps: 100, maxNotional: '100000' },
  { minLeverage: 51, maxLeverage: 100, initialMarginBps: 100, maintenanceMarginBps: 50, maxNotional: '50000' },
  { minLeverage: 101, maxLeverage: 500, initialMarginBps: 50, maintenanceMarginBps: 25, maxNotional: '20000' },
  { minLeverage: 501, maxLeverage: 1000, initialMarginBps: 20, maintenanceMarginBps: 10, maxNotional: '5000' },
];

export const LEVERAGE_CHOICES = [1, 10, 100, 1000] as const;
export type LeverageChoice = (typeof LEVERAGE_CHOICES)[number];

export const TAKER_FEE_BPS = 5;
const BPS = 10_000n;
const USDT_DECIMALS = 6;

export function tierFor(leverage: number): LeverageTier {
  const tier = LEVERAGE_TIERS.find((t) => leverage >= t.minLeverage && leverage <= t.maxLeverage);
  return tier ?? (LEVERAGE_TIERS[LEVERAGE_TIERS.length - 1] as LeverageTier);
}

/** "0.2%" from 20 bps. */
export function bpsLabel(bps: number | bigint): string {
  const value = BigInt(bps);
  const whole = value / 100n;
  const fraction = (value % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''}%`;
}

/** Margin per unit of notional at `leverage`: max(1 / leverage, tier IM), in bps (may be fractional). */
export function effectiveMarginBps(leverage: number): Dec {
  const byLeverage = divide(fromInt(BPS), fromInt(leverage), 4, 'ceil') ?? ZERO;
  return max(byLeverage, fromInt(tierFor(leverage).initialMarginBps));
}

/** "1%" at 100x, "0.2%" at 1000x (the tier minimum decides there). */
export function marginRateLabel(leverage: number): string {
  const percent = divide(effectiveMarginBps(leverage), fromInt(100), 4, 'ceil') ?? ZERO;
  return `${trimZeros(toPlain(percent))}%`;
}

export interface MarketSpec {
  tickSize: string;
  stepSize: string;
  maxOrderSize: string;
}

/** Base asset -> (tick in USDT, step and largest order in the base asset). */
const SPECS: Record<string, MarketSpec> = {
  BTC: { tickSize: '0.1', stepSize: '0.001', maxOrderSize: '100' },
  ETH: { tickSize: '0.01', stepSize: '0.01', maxOrderSize: '2000' },
  SOL: { tickSize: '0.001', stepSize: '0.1', maxOrderSize: '50000' },
  BNB: { tickSize: '0.01', stepSize: '0.01', maxOrderSize: '10000' },
  XRP: { tickSize: '0.0001', stepSize: '1', maxOrderSize: '5000000' },
  DOGE: { tickSize: '0.00001', stepSize: '10', maxOrderSize: '20000000' },
  ADA: { tickSize: '0.0001', stepSize: '1', maxOrderSize: '5000000' },
  AVAX: { tickSize: '0.001', stepSize: '0.1', maxOrderSize: '200000' },
  LINK: { tickSize: '0.001', stepSize: '0.1', maxOrderSize: '300000' },
  LTC: { tickSize: '0.01', stepSize: '0.01', maxOrderSize: '50000' },
  EUR: { tickSize: '0.00001', stepSize: '100', maxOrderSize: '10000000' },
  GBP: { tickSize: '0.00001', stepSize: '100', maxOrderSize: '10000000' },
  JPY: { tickSize: '0.0000001', stepSize: '10000', maxOrderSize: '1000000000' },
  CHF: { tickSize: '0.00001', stepSize: '100', maxOrderSize: '10000000' },
  AUD: { tickSize: '0.00001', stepSize: '100', maxOrderSize: '10000000' },
};

export function marketSpec(baseAsset: string): MarketSpec | null {
  return SPECS[baseAsset] ?? null;
}

export interface Requirement {
  /** size x price, exact. */
  notional: Dec;
  /** Initial margin, micro-USDT rounded up like the engine. */
  margin: Dec;
  /** Worst-case taker fee, micro-USDT rounded up. */
  fee: Dec;
  total: Dec;
}

/** What opening `size` at `price` and `leverage` reserves: max(notional / L, notional x IM) + taker fee. */
export function requirement(size: Dec, price: Dec, leverage: number): Requirement {
  const notional = mul(size, price);
  const byLeverage = divide(notional, fromInt(leverage), USDT_DECIMALS, 'ceil') ?? ZERO;
  const byTier = rescale(
    divide(mul(notional, fromInt(tierFor(leverage).initialMarginBps)), fromInt(BPS), USDT_DECIMALS + 4, 'ceil') ??
      ZERO,
    USDT_DECIMALS,
    'ceil',
  );
  const margin = max(byLeverage, byTier);
  const fee = rescale(
    divide(mul(notional, fromInt(TAKER_FEE_BPS)), fromInt(BPS), USDT_DECIMALS + 4, 'ceil') ?? ZERO,
    USDT_DECIMALS,
    'ceil',
  );
  return { notional, margin, fee, total: add(margin, fee) };
}

export interface SizeLimitInput {
  available: Dec;
  price: Dec;
  leverage: number;
  step: Dec;
  maxOrderSize: Dec;
  /** Open position on the order's side (its cap counts against the tier cap). */
  sameSide: Dec;
  /** Open position on the other side: reducing it needs no margin. */
  opposite: Dec;
}

/**
 * The largest order size the available balance allows at `leverage`, on the step
 * grid and within the tier's position cap and the market's largest order.
 */
export function maxOrderSize(input: SizeLimitInput): Dec {
  const { available, price, leverage, step, maxOrderSize: largest, sameSide, opposite } = input;
  if (price.n <= 0n || step.n <= 0n) return ZERO;
  // size x price x (marginBps + feeBps) / BPS <= available
  const rate = effectiveMarginBps(leverage);
  const perUnit = divide(mul(price, add(rate, fromInt(TAKER_FEE_BPS))), fromInt(BPS), 12, 'ceil');
  let opening = perUnit ? floorToStep(divide(available, perUnit, step.s + 2, 'floor') ?? ZERO, step) : ZERO;
  const cap = tierFor(leverage).maxNotional;
  if (cap !== null) {
    const capSize = floorToStep(divide(dec(cap), price, step.s + 2, 'floor') ?? ZERO, step);
    opening = min(opening, sub(capSize, sameSide));
  }
  // Margin and fee round up to a micro-USDT: step down while the exact requirement does not fit.
  for (let i = 0; i < 3 && opening.n > 0n && cmp(requirement(opening, price, leverage).total, available) > 0; i++) {
    opening = sub(opening, step);
  }
  if (opening.n < 0n) opening = ZERO;
  return min(largest, add(opening, opposite));
}

import type { Fill, Order } from '../../graphql/operations';
import {
  ZERO,
  add,
  divide,
  formatFixed,
  formatQuantity,
  mul,
  parseDec,
  type Dec,
} from './decimal';
import { friendlyError, orderReason } from './messages';

export type Tone = 'success' | 'info' | 'error';

/** What the last action did, in one or two sentences. */
export interface ActionResult {
  tone: Tone;
  text: string;
  /** The error code, shown small for support. */
  code?: string;
}

export interface FillSummary {
  size: Dec;
  /** Size-weighted average price, exact to `decimals`; null without fills. */
  averagePrice: Dec | null;
  fee: Dec;
  realizedPnl: Dec;
}

export function summarizeFills(fills: Fill[], decimals: number): FillSummary {
  let size = ZERO;
  let value = ZERO;
  let fee = ZERO;
  let realizedPnl = ZERO;
  for (const fill of fills) {
    const fillSize = parseDec(fill.size) ?? ZERO;
    size = add(size, fillSize);
    value = add(value, mul(fillSize, parseDec(fill.price) ?? ZERO));
    fee = add(fee, parseDec(fill.fee) ?? ZERO);
    realizedPnl = add(realizedPnl, parseDec(fill.realizedPnl) ?? ZERO);
  }
  const averagePrice = size.n > 0n ? divide(value, size, decimals, 'half-up') : null;
  return { size, averagePrice, fee, realizedPnl };
}

function priceText(price: Dec | string | null, decimals: number): string {
  return formatFixed(price, decimals);
}

/** "Filled 0.01 BTC at 97,012.30", a partial fill, a resting limit order or why nothing traded.
 * `minQuantity` is the order's own minimum fill, when it set one. */
export function describePlacedOrder(
  order: Order,
  fills: Fill[],
  baseAsset: string,
  decimals: number,
  minQuantity: string | null = null,
): ActionResult {
  const { size: filled, averagePrice } = summarizeFills(fills, decimals);
  const requested = formatQuantity(order.size);
  const at = (price: Dec | null) =>
    fills.length > 1 ? `at an average ${priceText(price, decimals)}` : `at ${priceText(price, decimals)}`;
  const filledText = formatQuantity(filled);
  const unit = baseAsset;
  const side = order.side === 'BUY' ? 'buy' : 'sell';

  if (order.status === 'REJECTED') {
    return {
      tone: 'error',
      text: `The order was rejected${order.reason ? `: ${orderReason(order.reason)}` : ''}.`,
    };
  }
  if (filled.n > 0n) {
    const full = order.status === 'FILLED';
    if (full) return { tone: 'success', text: `Filled ${filledText} ${unit} ${at(averagePrice)}` };
    const resting = order.status === 'OPEN' || order.status === 'PARTIALLY_FILLED' || order.status === 'NEW';
    const rest = resting
      ? `the remaining ${formatQuantity(order.remaining)} ${unit} rests at ${priceText(order.price, decimals)}.`
      : `${orderReason(order.reason) ?? 'the rest was cancelled'}.`;
    return {
      tone: 'success',
      text: `Filled ${filledText} of ${requested} ${unit} ${at(averagePrice)}; ${rest}`,
    };
  }
  if (order.status === 'OPEN' || order.status === 'NEW') {
    return {
      tone: 'info',
      text: `Order placed: ${side} ${requested} ${unit} at ${priceText(order.price, decimals)}, hidden in the dark book until it fills (order ${order.id}).`,
    };
  }
  if (minQuantity !== null && order.reason === 'IOC_REMAINDER') {
    // Liquidity may well have been there, in pieces smaller than the order accepts.
    return {
      tone: 'error',
      text: `Not filled: no fill of at least your minimum quantity (${formatQuantity(minQuantity)} ${unit}) was available, so nothing traded and the order was cancelled.`,
    };
  }
  return {
    tone: 'error',
    text: `Not filled: there was no liquidity for this order, so nothing traded${
      order.reason === 'IOC_REMAINDER' ? '' : ` (${orderReason(order.reason) ?? order.status.toLowerCase()})`
    }. Try again in a moment.`,
  };
}

export function describeUserError(error: { code: string; message: string }): ActionResult {
  return { tone: 'error', text: friendlyError(error), code: error.code };
}

import type { UserError } from '../../graphql/operations';

/** Plain-language explanations of the trading refusals; the server's own text is for logs. */
const FRIENDLY: Record<string, string> = {
  INSUFFICIENT_MARGIN:
    'Not enough available balance for the margin and fee of this order. Reduce the size or raise the leverage.',
  INSUFFICIENT_FUNDS: 'Not enough available balance for this.',
  POSITION_SIZE_EXCEEDED:
    'This order would take the position above the limit for this leverage. Reduce the size or lower the leverage.',
  LEVERAGE_NOT_ALLOWED: 'This leverage is not allowed for this order.',
  REDUCE_ONLY: 'A reduce-only order can only make a position smaller.',
  INVALID_TICK: 'The price is not on the market’s price grid (tick size).',
  INVALID_PRICE: 'The price is not valid for this market.',
  INVALID_SIZE: 'The size is not valid: it must be a whole number of the market’s size step.',
  MARKET_CLOSED: 'This market is not trading right now.',
  MARKET_INACTIVE: 'This market is not trading right now.',
  UNKNOWN_MARKET: 'This market does not exist.',
  ORACLE_UNHEALTHY:
    'The index price of this market is unreliable right now, so only orders that reduce a position are accepted.',
  NO_REFERENCE_PRICE:
    'There is no reference price for this market yet. Try again in a moment, or use a limit order.',
  ORDER_NOT_FOUND: 'That order is no longer open.',
  NO_POSITION: 'There is no open position in this market.',
  ENGINE_UNAVAILABLE: 'The trading engine is restarting. Try again in a moment.',
  NOT_AVAILABLE: 'Trading needs an account, and accounts are not open yet.',
  INVALID_AMOUNT: 'Enter an amount other than zero, with at most 6 decimals.',
};

/** Server texts that already read well and say more than the generic line. */
const SAME_LEVERAGE = /the position is at (\d+)x; increase it at the same leverage/;

export function friendlyError(error: Pick<UserError, 'code' | 'message'>): string {
  const sameLeverage = SAME_LEVERAGE.exec(error.message);
  if (sameLeverage) {
    return `Your open position uses ${sameLeverage[1]}x leverage. Add to it at ${sameLeverage[1]}x, or close it first.`;
  }
  const known = FRIENDLY[error.code];
  if (known) return known;
  const text = error.message.trim();
  return text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}.`.replace(/\.\.$/, '.') : 'The order was refused.';
}

/** Why an order ended, in words. */
export function orderReason(reason: string | null): string | null {
  switch (reason) {
    case null:
      return null;
    case 'USER':
      return 'cancelled by you';
    case 'IOC_REMAINDER':
      return 'the rest found no liquidity and was cancelled';
    default:
      return reason.toLowerCase().replace(/_/g, ' ');
  }
}

/** OPEN -> "Open", PARTIALLY_FILLED -> "Partially filled". */
export function humanize(code: string): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

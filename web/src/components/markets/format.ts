/*
 * Display formatting for Decimal strings. Everything works on the digits of the
 * string (no floating point), so a price is never altered beyond the rounding
 * of its last shown digit.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Significant digits shown for a price: 96998.09, 3400.15, 239.848, 1.39966, 0.00639998. */
const PRICE_SIGNIFICANT_DIGITS = 6;
const SIZE_SIGNIFICANT_DIGITS = 4;
const MAX_DECIMALS = 12;

export const EMPTY = '—';

/** Rounds a decimal string half away from zero to `decimals` places; null if it is no decimal. */
export function roundDecimal(value: string, decimals: number): string | null {
  const match = DECIMAL.exec(value.trim());
  if (!match) return null;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const digits = (whole + fraction.padEnd(decimals, '0').slice(0, decimals)).split('').map(Number);
  if ((fraction[decimals] ?? '0') >= '5') {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 9) digits[i--] = 0;
    if (i >= 0) digits[i] = (digits[i] ?? 0) + 1;
    else digits.unshift(1);
  }
  const joined = digits.join('');
  const intPart = joined.slice(0, joined.length - decimals).replace(/^0+(?=\d)/, '') || '0';
  const fracPart = joined.slice(joined.length - decimals);
  const negative = sign === '-' && /[1-9]/.test(joined);
  return `${negative ? '-' : ''}${intPart}${decimals > 0 ? `.${fracPart}` : ''}`;
}

/** Decimal places that show `significant` digits of `value` (at least `min`). */
function decimalsFor(value: string | null | undefined, significant: number, min: number): number {
  const match = value ? DECIMAL.exec(value.trim()) : null;
  if (!match) return min;
  const whole = (match[2] ?? '').replace(/^0+/, '');
  const fraction = match[3] ?? '';
  let decimals: number;
  if (whole.length > 0) {
    decimals = significant - whole.length;
  } else {
    const leadingZeros = /^0*/.exec(fraction)?.[0].length ?? 0;
    if (leadingZeros === fraction.length) return min; // the value is zero
    decimals = significant + leadingZeros;
  }
  return Math.min(MAX_DECIMALS, Math.max(min, decimals));
}

/** Decimal places for every price of one market, chosen from a reference price (e.g. the index). */
export function priceDecimals(reference: string | null | undefined): number {
  return decimalsFor(reference, PRICE_SIGNIFICANT_DIGITS, 2);
}

interface Quoted {
  symbol: string;
  indexPrice: string | null;
  markPrice: string | null;
  nbbo: { mid: string | null };
}

/** Decimals chosen per market once, so columns do not jump when a price crosses 100 or 1. */
const marketDecimalsCache = new Map<string, number>();

/** Decimal places for all prices of one market (index, mark, reference quotes, book, chart). */
export function marketDecimals(quote: Quoted | null | undefined): number {
  if (!quote) return priceDecimals(null);
  const known = marketDecimalsCache.get(quote.symbol);
  if (known !== undefined) return known;
  const reference = quote.indexPrice ?? quote.markPrice ?? quote.nbbo.mid;
  const decimals = priceDecimals(reference);
  if (reference != null) marketDecimalsCache.set(quote.symbol, decimals);
  return decimals;
}

export function formatPrice(value: string | null | undefined, decimals: number): string {
  if (value == null) return EMPTY;
  return roundDecimal(value, decimals) ?? value;
}

export function formatSize(value: string | null | undefined): string {
  if (value == null) return EMPTY;
  return roundDecimal(value, decimalsFor(value, SIZE_SIGNIFICANT_DIGITS, 0)) ?? value;
}

/** A Decimal that is already in percent, e.g. a source's deviation. */
export function formatPercent(value: string | null | undefined): string {
  if (value == null) return EMPTY;
  return `${roundDecimal(value, 2) ?? value}%`;
}

/** Oracle confidence is a Float in [0, 1]. */
export function formatConfidence(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : EMPTY;
}

/** -1, 0 or 1; only used to colour a tick, never for money. */
export function compareForDisplay(next: string, previous: string): number {
  return Math.sign(Number(next) - Number(previous)) || 0;
}

/*
 * Exact decimal arithmetic on Decimal strings with BigInt, for the order
 * ticket's estimates. A value is `n / 10^s`; nothing goes through a float.
 */
import { EMPTY } from '../markets/format';

export interface Dec {
  readonly n: bigint;
  readonly s: number;
}

export type Rounding = 'floor' | 'ceil' | 'half-up';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const GROUPS = /\B(?=(\d{3})+(?!\d))/g;

export const ZERO: Dec = { n: 0n, s: 0 };

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** Parses "12.5", "-0.000001", "3"; null for anything else (exponents, spaces, "1.", ""). */
export function parseDec(text: string | null | undefined): Dec | null {
  if (text == null) return null;
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const n = BigInt(whole + fraction);
  return { n: sign === '-' ? -n : n, s: fraction.length };
}

/** For constants in code; throws on a malformed literal. */
export function dec(text: string): Dec {
  const value = parseDec(text);
  if (!value) throw new Error(`not a decimal: ${text}`);
  return value;
}

export function fromInt(value: number | bigint): Dec {
  return { n: BigInt(value), s: 0 };
}

function atScale(value: Dec, scale: number): bigint {
  return value.n * pow10(scale - value.s);
}

export function add(a: Dec, b: Dec): Dec {
  const s = Math.max(a.s, b.s);
  return { n: atScale(a, s) + atScale(b, s), s };
}

export function sub(a: Dec, b: Dec): Dec {
  const s = Math.max(a.s, b.s);
  return { n: atScale(a, s) - atScale(b, s), s };
}

export function mul(a: Dec, b: Dec): Dec {
  return { n: a.n * b.n, s: a.s + b.s };
}

export function cmp(a: Dec, b: Dec): -1 | 0 | 1 {
  const s = Math.max(a.s, b.s);
  const x = atScale(a, s);
  const y = atScale(b, s);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function min(a: Dec, b: Dec): Dec {
  return cmp(a, b) <= 0 ? a : b;
}

export function max(a: Dec, b: Dec): Dec {
  return cmp(a, b) >= 0 ? a : b;
}

export function isPositive(value: Dec): boolean {
  return value.n > 0n;
}

/** Integer division with the given rounding (BigInt `/` truncates toward zero). */
function divideInt(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  let num = numerator;
  let den = denominator;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const quotient = num / den;
  const remainder = num % den;
  if (remainder === 0n) return quotient;
  switch (rounding) {
    case 'floor':
      return num < 0n ? quotient - 1n : quotient;
    case 'ceil':
      return num > 0n ? quotient + 1n : quotient;
    case 'half-up': {
      const twice = 2n * (remainder < 0n ? -remainder : remainder);
      if (twice < den) return quotient;
      return num < 0n ? quotient - 1n : quotient + 1n;
    }
  }
}

/** `a / b` with `scale` decimals; null when dividing by zero. */
export function divide(a: Dec, b: Dec, scale: number, rounding: Rounding): Dec | null {
  if (b.n === 0n) return null;
  let numerator = a.n;
  let denominator = b.n;
  const shift = scale + b.s - a.s;
  if (shift >= 0) numerator *= pow10(shift);
  else denominator *= pow10(-shift);
  return { n: divideInt(numerator, denominator, rounding), s: scale };
}

/** Rounds (or pads) to `scale` decimals. */
export function rescale(value: Dec, scale: number, rounding: Rounding): Dec {
  if (scale >= value.s) return { n: atScale(value, scale), s: scale };
  return { n: divideInt(value.n, pow10(value.s - scale), rounding), s: scale };
}

/** The largest multiple of `step` (> 0) at or below `value`. */
export function floorToStep(value: Dec, step: Dec): Dec {
  const s = Math.max(value.s, step.s);
  const units = atScale(step, s);
  if (units <= 0n) return value;
  const steps = divideInt(atScale(value, s), units, 'floor');
  return { n: steps * units, s };
}

/** True when `value` is a whole number of `step`s. */
export function isMultipleOf(value: Dec, step: Dec): boolean {
  const s = Math.max(value.s, step.s);
  const units = atScale(step, s);
  return units > 0n && atScale(value, s) % units === 0n;
}

/** The exact value as a plain string with `value.s` decimals. */
export function toPlain(value: Dec): string {
  const negative = value.n < 0n;
  const digits = (negative ? -value.n : value.n).toString().padStart(value.s + 1, '0');
  const whole = digits.slice(0, digits.length - value.s);
  const fraction = digits.slice(digits.length - value.s);
  return `${negative ? '-' : ''}${whole}${value.s > 0 ? `.${fraction}` : ''}`;
}

/** "0.01000000" -> "0.01", "5.000" -> "5"; other text is returned as is. */
export function trimZeros(text: string): string {
  if (!DECIMAL.test(text) || !text.includes('.')) return text;
  return text.replace(/\.?0+$/, '');
}

/** "-97012.3" -> "-97,012.3" (thousands separators in the whole part only). */
export function groupThousands(text: string): string {
  const [whole = '', fraction] = text.split('.', 2);
  const grouped = whole.replace(GROUPS, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** A Decimal string rounded half-up to `decimals`, with thousands separators; "—" when absent. */
export function formatFixed(value: string | Dec | null | undefined, decimals: number): string {
  if (value == null) return EMPTY;
  const parsed = typeof value === 'string' ? parseDec(value) : value;
  if (!parsed) return typeof value === 'string' ? value : EMPTY;
  return groupThousands(toPlain(rescale(parsed, decimals, 'half-up')));
}

/** A size in the base asset: exact, trailing zeros dropped, grouped ("1,250", "0.771"). */
export function formatQuantity(value: string | Dec | null | undefined): string {
  if (value == null) return EMPTY;
  const text = typeof value === 'string' ? value : toPlain(value);
  return groupThousands(trimZeros(text));
}

/** USDT with 2 decimals and a sign for PnL: "+1.25", "-0.23", "0.00". */
export function formatSigned(value: string | null | undefined, decimals = 2): string {
  if (value == null) return EMPTY;
  const text = formatFixed(value, decimals);
  return text.startsWith('-') || /^[0.,]+$/.test(text) ? text : `+${text}`;
}

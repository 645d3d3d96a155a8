// Exact money: integer minor units, never floats.
//
// Amounts are `number`s that must be safe integers (|n| ≤ 2^53 − 1), not bigints.
// Why: every gateway we speak to sends and expects JSON numbers or decimal strings,
// zod and JSON.stringify handle numbers natively (bigint throws in JSON.stringify),
// and 2^53 − 1 minor units is 90 trillion cedis/taka/sum — far beyond any single
// marketplace payment, while Postgres `bigint` columns hold every value we can
// produce. Every helper checks that its inputs and results are safe integers, so a
// value that would lose precision is rejected instead of silently rounded.
// Decimal strings are converted digit by digit (through BigInt), never through
// parseFloat, so "0.29" is 29 minor units and not 28.999….
import { ValidationError } from './errors.ts';

/** ISO 4217 minor-unit exponents of the currencies Soko's markets use. */
export const CURRENCY_EXPONENTS = {
  BDT: 2,
  EGP: 2,
  EUR: 2,
  GHS: 2,
  KES: 2,
  NGN: 2,
  RWF: 0,
  TZS: 2,
  UGX: 0,
  USD: 2,
  UZS: 2,
  XAF: 0,
  XOF: 0,
  ZAR: 2,
  ZMW: 2,
} as const satisfies Record<string, number>;

export type CurrencyCode = keyof typeof CURRENCY_EXPONENTS;

export interface Money {
  /** Integer count of the currency's minor unit (pesewas, poisha, piasters, tiyin, …). */
  readonly amountMinor: number;
  readonly currency: CurrencyCode;
}

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, value);
}

/** The currency code, checked against the table; throws ValidationError for others. */
export function currencyCode(value: string): CurrencyCode {
  if (!isCurrencyCode(value)) throw new ValidationError('This currency is not supported.', { currency: value });
  return value;
}

/** Digits after the decimal point in the currency's major unit (GHS 2, UGX 0). */
export function currencyExponent(currency: string): number {
  return CURRENCY_EXPONENTS[currencyCode(currency)];
}

/** Throws unless `value` is a safe integer (optionally > 0). */
export function assertMinorUnits(value: number, options: { positive?: boolean; field?: string } = {}): void {
  const field = options.field ?? 'amount';
  if (!Number.isSafeInteger(value)) {
    throw new ValidationError('The amount must be a whole number of minor units.', { field });
  }
  if (options.positive && value <= 0) throw new ValidationError('The amount must be greater than zero.', { field });
}

/** A checked Money value: a positive safe integer in a supported currency. */
export function money(amountMinor: number, currency: string): Money {
  assertMinorUnits(amountMinor, { positive: true });
  return { amountMinor, currency: currencyCode(currency) };
}

export function sameMoney(a: Money, b: Money): boolean {
  return a.amountMinor === b.amountMinor && a.currency === b.currency;
}

/** a + b, refusing results that are no longer exact. */
export function addMinor(a: number, b: number): number {
  assertMinorUnits(a);
  assertMinorUnits(b);
  const sum = a + b;
  assertMinorUnits(sum);
  return sum;
}

export type MajorStyle =
  /** Always every minor digit: "15.00", "15.50", "1500" for UGX. */
  | 'fixed'
  /** Drop an all-zero fraction: "15", "15.50". */
  | 'compact';

/**
 * Minor units → a major-unit decimal string, exactly: (1500, 'GHS') → "15.00"
 * ('fixed') or "15" ('compact').
 */
export function formatMajor(amountMinor: number, currency: string, style: MajorStyle = 'fixed'): string {
  assertMinorUnits(amountMinor);
  const exponent = currencyExponent(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const digits = Math.abs(amountMinor).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const whole = padded.slice(0, -exponent);
  const fraction = padded.slice(-exponent);
  if (style === 'compact' && /^0+$/.test(fraction)) return sign + whole;
  return `${sign}${whole}.${fraction}`;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * A gateway's major-unit decimal ("15", "15.5", "15.50", or a JSON number such as
 * 15.5) → minor units, exactly. Rejects negative values, exponents, and more
 * fraction digits than the currency has ("15.001" GHS, "1500.5" UGX).
 */
export function parseMajor(value: string | number, currency: string): number {
  const exponent = currencyExponent(currency);
  let text: string;
  if (typeof value === 'number') {
    // String(n) is the shortest text that round-trips, so it holds the digits the
    // gateway wrote (15.50 on the wire is the number 15.5, which prints as "15.5").
    if (!Number.isFinite(value)) throw invalidDecimal(value);
    text = String(value);
  } else {
    text = value.trim();
  }
  const match = DECIMAL.exec(text);
  if (!match) throw invalidDecimal(value);
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw new ValidationError('The amount has more decimal places than the currency allows.', {
      currency,
      decimals: fraction.length,
      allowed: exponent,
    });
  }
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError('The amount is too large.', { currency });
  }
  return Number(minor);
}

/** A minor-unit integer sent as a JSON number or digit string (Paystack, Paymob, Payme). */
export function parseMinor(value: string | number): number {
  if (typeof value === 'number') {
    assertMinorUnits(value);
    if (value < 0) throw invalidDecimal(value);
    return value;
  }
  if (!/^\d+$/.test(value)) throw invalidDecimal(value);
  const parsed = BigInt(value);
  if (parsed > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValidationError('The amount is too large.');
  return Number(parsed);
}

/** How a gateway writes amounts on the wire. */
export type WireFormat =
  /** Integer count of minor units (Paystack kobo/pesewas, Paymob piasters, Payme tiyin). */
  | { unit: 'minor' }
  /** Major-unit decimal string (MTN MoMo, bKash, Click). */
  | { unit: 'major'; style: MajorStyle };

export function toWire(value: Money, format: { unit: 'minor' }): number;
export function toWire(value: Money, format: { unit: 'major'; style: MajorStyle }): string;
export function toWire(value: Money, format: WireFormat): number | string {
  assertMinorUnits(value.amountMinor, { positive: true });
  return format.unit === 'minor' ? value.amountMinor : formatMajor(value.amountMinor, value.currency, format.style);
}

export function fromWire(value: string | number, currency: string, format: WireFormat): number {
  return format.unit === 'minor' ? parseMinor(value) : parseMajor(value, currency);
}

function invalidDecimal(value: unknown): ValidationError {
  return new ValidationError('The amount is not a valid decimal number.', { value: String(value) });
}

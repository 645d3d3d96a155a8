import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import {
  addMinor,
  currencyExponent,
  formatMajor,
  fromWire,
  money,
  parseMajor,
  parseMinor,
  sameMoney,
  toWire,
} from '../../src/money.ts';

describe('minor-unit exponents', () => {
  it.each([
    ['GHS', 2],
    ['BDT', 2],
    ['EGP', 2],
    ['UZS', 2],
    ['EUR', 2],
    ['NGN', 2],
    ['KES', 2],
    ['UGX', 0],
  ])('%s has %i decimals', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });

  it('refuses a currency it does not know', () => {
    expect(() => currencyExponent('XYZ')).toThrow(ValidationError);
  });
});

describe('formatting minor units as a gateway major-unit string', () => {
  it.each([
    [1500, 'GHS', 'fixed', '15.00'],
    [1500, 'BDT', 'compact', '15'],
    [1550, 'BDT', 'compact', '15.50'],
    [1, 'EGP', 'fixed', '0.01'],
    [5, 'UZS', 'compact', '0.05'],
    [150000, 'UGX', 'fixed', '150000'],
    [900719925474099, 'GHS', 'fixed', '9007199254740.99'],
  ] as const)('%i %s (%s) → %s', (minor, currency, style, expected) => {
    expect(formatMajor(minor, currency, style)).toBe(expected);
  });

  it('refuses fractional or unsafe minor amounts', () => {
    expect(() => formatMajor(15.5, 'GHS')).toThrow(ValidationError);
    expect(() => formatMajor(2 ** 53, 'GHS')).toThrow(ValidationError);
  });
});

describe('parsing gateway decimals back to minor units exactly', () => {
  it.each([
    ['15', 'BDT', 1500],
    ['15.5', 'BDT', 1550],
    ['15.50', 'BDT', 1550],
    ['0.29', 'GHS', 29],
    ['1000.00', 'UZS', 100000],
    ['150000', 'UGX', 150000],
    [' 12.34 ', 'EUR', 1234],
  ])('%j %s → %i', (text, currency, expected) => {
    expect(parseMajor(text, currency)).toBe(expected);
  });

  it('takes JSON numbers digit for digit (0.29 is 29, not 28.99…)', () => {
    expect(parseMajor(0.29, 'GHS')).toBe(29);
    expect(parseMajor(1.1, 'GHS')).toBe(110);
    expect(parseMajor(15, 'BDT')).toBe(1500);
  });

  it.each([
    ['15.001', 'GHS'],
    ['1500.5', 'UGX'],
    ['0.005', 'UZS'],
  ])('rejects %s %s: more decimals than the currency has', (text, currency) => {
    expect(() => parseMajor(text, currency)).toThrow(/more decimal places/);
  });

  it.each(['-5', '1e3', '15.', '.5', 'NaN', '', '1,000', '0x10'])('rejects %j', (text) => {
    expect(() => parseMajor(text, 'GHS')).toThrow(ValidationError);
  });

  it('rejects amounts beyond exact integers', () => {
    expect(() => parseMajor('90071992547409.92', 'GHS')).toThrow(/too large/);
    expect(() => parseMajor(Number.POSITIVE_INFINITY, 'GHS')).toThrow(ValidationError);
  });

  it('round-trips every amount through the wire formats', () => {
    for (const minor of [1, 9, 10, 99, 100, 101, 1234567, 900719925474099]) {
      const value = money(minor, 'GHS');
      expect(fromWire(toWire(value, { unit: 'major', style: 'fixed' }), 'GHS', { unit: 'major', style: 'fixed' })).toBe(minor);
      expect(fromWire(toWire(value, { unit: 'major', style: 'compact' }), 'GHS', { unit: 'major', style: 'compact' })).toBe(minor);
      expect(fromWire(toWire(value, { unit: 'minor' }), 'GHS', { unit: 'minor' })).toBe(minor);
    }
  });
});

describe('minor-unit integers on the wire (tiyin, piasters, pesewas)', () => {
  it('passes integers through and refuses anything else', () => {
    expect(parseMinor(100000)).toBe(100000);
    expect(parseMinor('100000')).toBe(100000);
    expect(() => parseMinor(100.5)).toThrow(ValidationError);
    expect(() => parseMinor('100.5')).toThrow(ValidationError);
    expect(() => parseMinor(-1)).toThrow(ValidationError);
    expect(() => parseMinor('9007199254740993')).toThrow(/too large/);
  });

  it('adds without losing precision and compares amount and currency', () => {
    expect(addMinor(1, 2)).toBe(3);
    expect(() => addMinor(Number.MAX_SAFE_INTEGER, 1)).toThrow(ValidationError);
    expect(sameMoney(money(100, 'GHS'), money(100, 'GHS'))).toBe(true);
    expect(sameMoney(money(100, 'GHS'), money(100, 'KES'))).toBe(false);
    expect(() => money(0, 'GHS')).toThrow(/greater than zero/);
  });
});

// Helpers several adapters share: checking a PaymentRequest, phone formats, replies.
import { ValidationError } from '../errors.ts';
import { assertMinorUnits, currencyCode } from '../money.ts';
import { isUuid } from './crypto.ts';
import type { PaymentRequest } from './types.ts';

const E164 = /^\+[1-9]\d{7,14}$/;

/** Checks what every adapter relies on; `currencies` limits what this gateway takes. */
export function checkPaymentRequest(payment: PaymentRequest, currencies?: readonly string[]): void {
  if (!isUuid(payment.paymentId)) throw new ValidationError('The payment id must be a UUID.', { field: 'paymentId' });
  assertMinorUnits(payment.amountMinor, { positive: true });
  currencyCode(payment.currency);
  if (currencies && !currencies.includes(payment.currency)) {
    throw new ValidationError('This payment provider does not take this currency.', {
      currency: payment.currency,
      accepted: [...currencies],
    });
  }
  if (!E164.test(payment.customer.phone)) {
    throw new ValidationError('The phone number must be in international format.', { field: 'customer.phone' });
  }
}

/** "+233241234567" → "233241234567" (MSISDN without the plus). */
export function msisdn(phoneE164: string): string {
  if (!E164.test(phoneE164)) throw new ValidationError('The phone number must be in international format.', { field: 'phone' });
  return phoneE164.slice(1);
}

/** Shortens text to a gateway's limit without splitting a UTF-16 surrogate pair. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? chars.join('') : chars.slice(0, max).join('');
}

export function jsonReply(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

export function emptyReply(status = 200): Response {
  return new Response(null, { status });
}

// Errors the gateway adapters raise, all AppErrors so `toResponse` renders them.
// Details name the gateway, the operation and the gateway's own status/code — never a
// secret, a token, a request body or a raw exception message.
import { AppError } from '../errors.ts';
import type { GatewayId } from './types.ts';

export interface GatewayErrorDetails {
  gateway: GatewayId;
  operation: string;
  httpStatus?: number;
  gatewayCode?: string;
  [key: string]: unknown;
}

/** The gateway failed or answered something we cannot use (5xx, malformed body). */
export class GatewayError extends AppError {
  constructor(message: string, details: GatewayErrorDetails, code = 'gateway_error', status = 502) {
    super(code, status, message, details);
    this.name = 'GatewayError';
  }
}

/**
 * No answer in time. The outcome is unknown: the request may have been carried out,
 * so the caller must reconcile with `fetchStatus` before retrying anything that is
 * not idempotent.
 */
export class GatewayTimeoutError extends GatewayError {
  constructor(details: GatewayErrorDetails) {
    super('The payment provider did not answer in time.', { ...details, outcome: 'unknown' }, 'gateway_timeout', 504);
    this.name = 'GatewayTimeoutError';
  }
}

/** The gateway refused the request (bad number, limits, invalid payer, duplicate). */
export class GatewayRejectedError extends GatewayError {
  constructor(message: string, details: GatewayErrorDetails) {
    super(message, details, 'gateway_rejected', 422);
    this.name = 'GatewayRejectedError';
  }
}

/** The payment was declined outright at initiation (e.g. Paystack charge "failed"). */
export class PaymentDeclinedError extends GatewayError {
  constructor(details: GatewayErrorDetails) {
    super('The payment was declined.', details, 'payment_declined', 402);
    this.name = 'PaymentDeclinedError';
  }
}

/** A callback whose signature is missing, wrong, or too old. */
export class InvalidSignatureError extends AppError {
  constructor(gateway: GatewayId, reason: 'missing' | 'mismatch' | 'stale' | 'malformed') {
    super('invalid_signature', 401, 'The callback signature is not valid.', { gateway, reason });
    this.name = 'InvalidSignatureError';
  }
}

/** The gateway does not know this reference. */
export class UnknownPaymentError extends AppError {
  constructor(gateway: GatewayId, reference: string) {
    super('payment_not_found', 404, 'The payment provider does not know this payment.', { gateway, reference });
    this.name = 'UnknownPaymentError';
  }
}

/** Amount or currency reported by the gateway differs from ours. */
export class AmountMismatchError extends AppError {
  constructor(details: Record<string, unknown>) {
    super('amount_mismatch', 409, 'The amount or currency does not match the payment.', details);
    this.name = 'AmountMismatchError';
  }
}

/** The gateway (or this adapter) cannot do this, e.g. merchant-initiated Payme refunds. */
export class NotSupportedError extends AppError {
  constructor(gateway: GatewayId, operation: string, message = 'This payment provider does not support this.') {
    super('not_supported', 422, message, { gateway, operation });
    this.name = 'NotSupportedError';
  }
}

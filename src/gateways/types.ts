// The one interface every payment gateway adapter implements.
//
// The flow it serves (the settlement SQL and edge functions sit on top):
//   1. `initiate(payment)` → what the app shows the customer (a checkout URL, "approve
//      on your phone", an OTP prompt) plus the `reference` to store with the payment.
//   2. The gateway tells us the outcome through `verifyCallback(request)`:
//      - `verified`: authenticated facts (signed callback, or facts this adapter just
//        fetched from the gateway's API) — still compare amount/currency with our own
//        record (see reconcile.ts) before settling;
//      - `refetch`: an unsigned or partial callback (MTN MoMo, refunds) — call
//        `fetchStatus(reference)` and settle on that;
//      - `ignored`: nothing to do (other event types).
//      Every result carries the exact `reply` the gateway expects back. Forged or stale
//      signatures throw InvalidSignatureError (a 401 through `toResponse`), except for
//      gateways with their own error protocol (Payme, Click), which get their protocol's
//      error as `reply`.
//   3. A poller calls `fetchStatus(reference)` for payments still pending, because
//      callbacks get lost, duplicated and reordered.
//   4. `refund(...)` where `capabilities.refund`.
//
// Payme and Click call *us* (Merchant API / SHOP API): their adapters apply each step
// through a store interface (PaymeStore, ClickStore) inside `verifyCallback`, because
// the reply depends on it; the `verified` outcome they return is informational and
// applying it again must be a no-op (settlement is idempotent on the gateway's
// transaction id).
import type { CurrencyCode } from '../money.ts';

export type GatewayId = 'fake' | 'mtn_momo' | 'paymob' | 'bkash' | 'paystack' | 'payme' | 'click';

export interface Customer {
  /** E.164 with the plus: "+233241234567". Adapters reformat it for their gateway. */
  phone: string;
  email?: string | undefined;
  name?: string | undefined;
}

export interface PaymentRequest {
  /** Our payment's id (a UUID): the idempotency key wherever the gateway takes one. */
  paymentId: string;
  amountMinor: number;
  currency: CurrencyCode;
  /** Shown to the customer; adapters shorten it to their gateway's limit. */
  description: string;
  customer: Customer;
  /** Where the customer's browser returns after a hosted checkout. */
  returnUrl?: string | undefined;
  /** Mobile money rather than a card page, where the gateway offers both (Paystack). */
  method?: 'checkout' | 'mobile_money' | undefined;
  /** Mobile money network for gateways that need it (Paystack Ghana: mtn, vod, atl). */
  mobileMoneyProvider?: string | undefined;
}

/** What to show the customer next, and the reference to keep for `fetchStatus`. */
export type Initiation =
  | { kind: 'redirect'; reference: string; url: string }
  | { kind: 'approve_on_phone'; reference: string; message?: string | undefined }
  | { kind: 'otp_required'; reference: string; message?: string | undefined }
  /** Nothing for the customer to do; the outcome arrives by callback or polling. */
  | { kind: 'processing'; reference: string };

export type PaymentStatus =
  | 'pending'
  | 'succeeded'
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'refunded'
  | 'partially_refunded';

/** The gateway's view of one payment. */
export interface PaymentSnapshot {
  gateway: GatewayId;
  /** The reference `initiate` returned (what `fetchStatus` takes). */
  reference: string;
  status: PaymentStatus;
  amountMinor: number;
  currency: string;
  /** The gateway's id of the money movement (MoMo financialTransactionId, bKash trxID…). */
  gatewayTransactionId: string | null;
  /** The gateway's reason for a failure, as it said it ("APPROVAL_REJECTED"). */
  failureReason?: string | null | undefined;
}

export type CallbackOutcome =
  /** Authenticated facts; `eventId` is stable across redeliveries, for dedupe. */
  | { kind: 'verified'; eventId: string; payment: PaymentSnapshot }
  /** Untrusted or incomplete: settle only on `fetchStatus(reference)`. */
  | { kind: 'refetch'; reference: string }
  | { kind: 'ignored'; reason: string };

export interface CallbackResult {
  outcome: CallbackOutcome;
  /** Send this back to the gateway as is. */
  reply: Response;
}

export interface RefundRequest {
  /** Our refund's id (a UUID): idempotency key where the gateway takes one. */
  refundId: string;
  /** The payment's reference, as `initiate` returned it. */
  reference: string;
  /** The payment's gateway transaction id, from its snapshot (bKash trxID, Paymob id). */
  gatewayTransactionId: string | null;
  amountMinor: number;
  currency: CurrencyCode;
  reason?: string | undefined;
}

export interface RefundResult {
  refundId: string;
  status: 'pending' | 'succeeded' | 'failed';
  gatewayRefundId: string | null;
  amountMinor: number;
  currency: string;
}

export interface GatewayCapabilities {
  refund: boolean;
  partialRefund: boolean;
  /** The gateway calls us with a protocol we must answer (Payme, Click). */
  merchantApi: boolean;
}

export interface PaymentGateway {
  readonly id: GatewayId;
  readonly capabilities: GatewayCapabilities;
  initiate(payment: PaymentRequest): Promise<Initiation>;
  verifyCallback(request: Request): Promise<CallbackResult>;
  fetchStatus(reference: string): Promise<PaymentSnapshot>;
  /** Throws NotSupportedError when `capabilities.refund` is false. */
  refund(request: RefundRequest): Promise<RefundResult>;
}

/** Options every HTTP-speaking adapter accepts. */
export interface TransportOptions {
  /** Defaults to globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per attempt; default 20 s. */
  timeoutMs?: number;
  /** Extra attempts for calls the gateway makes idempotent; default 2. */
  retries?: number;
  /** First backoff delay, doubled per attempt; default 250 ms. */
  retryDelayMs?: number;
  /** Clock in ms since the epoch (token expiry, Payme's 12 hours). */
  now?: () => number;
  /** Receives one line per retry or failure; never secrets or bodies. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

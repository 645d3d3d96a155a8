// Paystack (Ghana cards and mobile money, Nigeria, Kenya, South Africa).
//
// - Checkout: POST /transaction/initialize → authorization_url. Mobile money (GHS):
//   POST /charge with mobile_money {phone, provider} → "pay_offline" (approve on the
//   handset) or "send_otp" (submit the customer's OTP with `submitOtp`).
// - Our payment id is Paystack's `reference`; verify with GET /transaction/verify/:ref.
// - Webhooks: `x-paystack-signature` = hex HMAC-SHA512(secret key, raw body), checked
//   before the body is parsed. Paystack signs no timestamp, so a replayed webhook is
//   only caught by settlement's idempotency (dedupe on the event id).
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { parseMinor } from '../money.ts';
import { hmacHex, timingSafeEqual } from './crypto.ts';
import {
  GatewayError,
  GatewayRejectedError,
  InvalidSignatureError,
  PaymentDeclinedError,
  UnknownPaymentError,
} from './errors.ts';
import { parseBody, send, unexpectedStatus, type GatewayCall, type GatewayResponse } from './http.ts';
import { checkPaymentRequest, emptyReply, msisdn } from './shared.ts';
import type {
  CallbackResult,
  GatewayCapabilities,
  Initiation,
  PaymentGateway,
  PaymentRequest,
  PaymentSnapshot,
  PaymentStatus,
  RefundRequest,
  RefundResult,
  TransportOptions,
} from './types.ts';

export interface PaystackConfig {
  /** "sk_live_…"/"sk_test_…": API calls and webhook signatures. */
  secretKey: string;
  baseUrl?: string | undefined;
  /** Default callback_url for hosted checkout. */
  callbackUrl?: string | undefined;
  /**
   * Paystack requires an email; phone-first customers often have none. When set,
   * such customers get "<msisdn>@<domain>" (a domain you control).
   */
  placeholderEmailDomain?: string | undefined;
  transport?: TransportOptions | undefined;
}

/** Ghana mobile money networks as Paystack names them. */
export const PAYSTACK_GHANA_PROVIDERS = ['mtn', 'vod', 'atl'] as const;

const envelope = z.object({ status: z.boolean(), message: z.string().optional() }).passthrough();

const initializeSchema = envelope.extend({
  data: z.object({ authorization_url: z.url(), access_code: z.string(), reference: z.string() }).passthrough(),
});

const chargeSchema = envelope.extend({
  data: z
    .object({
      reference: z.string(),
      status: z.string(),
      display_text: z.string().nullish(),
    })
    .passthrough(),
});

const transactionSchema = z
  .object({
    id: z.coerce.number().int(),
    status: z.string(),
    reference: z.string(),
    amount: z.union([z.number().int(), z.string()]),
    currency: z.string().length(3),
    gateway_response: z.string().nullish(),
  })
  .passthrough();

const verifySchema = envelope.extend({ data: transactionSchema });

const refundSchema = envelope.extend({
  data: z
    .object({
      id: z.coerce.number().int().optional(),
      status: z.string(),
      amount: z.union([z.number().int(), z.string()]),
      currency: z.string().length(3),
    })
    .passthrough(),
});

const webhookSchema = z.object({ event: z.string(), data: z.unknown() }).passthrough();

const refundEventSchema = z
  .object({ transaction_reference: z.string().optional(), transaction: z.object({ reference: z.string() }).passthrough().optional() })
  .passthrough();

function mapStatus(status: string): PaymentStatus {
  switch (status) {
    case 'success':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'reversed':
      return 'refunded';
    default:
      // abandoned, ongoing, pending, processing, queued, send_otp, pay_offline…: not
      // final; the customer may still complete it. Our own timeout expires the payment.
      return 'pending';
  }
}

export class PaystackGateway implements PaymentGateway {
  readonly id = 'paystack' as const;
  readonly capabilities: GatewayCapabilities = { refund: true, partialRefund: true, merchantApi: false };
  private readonly baseUrl: string;
  private readonly transport: TransportOptions;

  constructor(private readonly config: PaystackConfig) {
    this.baseUrl = (config.baseUrl ?? 'https://api.paystack.co').replace(/\/+$/, '');
    this.transport = config.transport ?? {};
  }

  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment);
    const email = this.email(payment);
    if (payment.method === 'mobile_money') return this.chargeMobileMoney(payment, email);

    const operation = 'initialize';
    // A repeat with the same reference is refused as a duplicate, so no retry.
    const response = await this.call({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/transaction/initialize`,
      json: {
        email,
        amount: payment.amountMinor,
        currency: payment.currency,
        reference: payment.paymentId,
        ...(payment.returnUrl ?? this.config.callbackUrl ? { callback_url: payment.returnUrl ?? this.config.callbackUrl } : {}),
      },
      idempotent: false,
    });
    if (response.status !== 200) throw this.error(response, operation);
    const { data } = parseBody(initializeSchema, response, { gateway: this.id, operation });
    return { kind: 'redirect', reference: payment.paymentId, url: data.authorization_url };
  }

  /** Sends the OTP a "send_otp" mobile money charge asked for. */
  async submitOtp(reference: string, otp: string): Promise<Initiation> {
    if (!/^\d{4,8}$/.test(otp)) throw new ValidationError('The code is not valid.', { field: 'otp' });
    const operation = 'submit-otp';
    const response = await this.call({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/charge/submit_otp`,
      json: { otp, reference },
      idempotent: false,
    });
    if (response.status !== 200) throw this.error(response, operation);
    return this.chargeNext(parseBody(chargeSchema, response, { gateway: this.id, operation }).data, reference);
  }

  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    const operation = 'verify';
    const response = await this.call({
      operation,
      method: 'GET',
      url: `${this.baseUrl}/transaction/verify/${encodeURIComponent(reference)}`,
      idempotent: true,
    });
    if (response.status === 404 || (response.status === 400 && /not found/i.test(this.message(response) ?? ''))) {
      throw new UnknownPaymentError(this.id, reference);
    }
    if (response.status !== 200) throw this.error(response, operation);
    const { data } = parseBody(verifySchema, response, { gateway: this.id, operation });
    if (data.reference !== reference) throw new GatewayError('Paystack answered about another payment.', { gateway: this.id, operation });
    return this.snapshot(data);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const operation = 'refund';
    // No idempotency key: never retried. After a timeout, list refunds before retrying.
    const response = await this.call({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/refund`,
      json: { transaction: request.reference, amount: request.amountMinor },
      idempotent: false,
    });
    if (response.status !== 200) throw this.error(response, operation);
    const { data } = parseBody(refundSchema, response, { gateway: this.id, operation });
    return {
      refundId: request.refundId,
      status: data.status === 'processed' ? 'succeeded' : data.status === 'failed' ? 'failed' : 'pending',
      gatewayRefundId: data.id === undefined ? null : String(data.id),
      amountMinor: parseMinor(data.amount),
      currency: data.currency,
    };
  }

  async verifyCallback(request: Request): Promise<CallbackResult> {
    if (request.method !== 'POST') return { outcome: { kind: 'ignored', reason: 'method' }, reply: emptyReply(405) };
    const signature = (request.headers.get('x-paystack-signature') ?? '').trim().toLowerCase();
    if (!signature) throw new InvalidSignatureError(this.id, 'missing');
    const raw = await request.text();
    const expected = await hmacHex('SHA-512', this.config.secretKey, raw);
    if (!timingSafeEqual(signature, expected)) throw new InvalidSignatureError(this.id, 'mismatch');

    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      throw new ValidationError('The webhook body is not JSON.', { gateway: this.id });
    }
    const event = webhookSchema.safeParse(body);
    if (!event.success) throw new ValidationError('The webhook body is not valid.', { gateway: this.id });
    const reply = emptyReply(200);

    if (event.data.event === 'charge.success') {
      const transaction = transactionSchema.safeParse(event.data.data);
      if (!transaction.success) throw new ValidationError('The webhook transaction is not valid.', { gateway: this.id });
      const payment = this.snapshot(transaction.data);
      return { outcome: { kind: 'verified', eventId: `paystack:charge.success:${transaction.data.id}`, payment }, reply };
    }
    if (event.data.event.startsWith('refund.')) {
      const refund = refundEventSchema.safeParse(event.data.data);
      const reference = refund.success ? (refund.data.transaction_reference ?? refund.data.transaction?.reference) : undefined;
      if (reference) return { outcome: { kind: 'refetch', reference }, reply };
    }
    return { outcome: { kind: 'ignored', reason: `event:${event.data.event}` }, reply };
  }

  private async chargeMobileMoney(payment: PaymentRequest, email: string): Promise<Initiation> {
    const provider = payment.mobileMoneyProvider;
    if (payment.currency === 'GHS' && !PAYSTACK_GHANA_PROVIDERS.includes(provider as never)) {
      throw new ValidationError('Choose the mobile money network.', { field: 'mobileMoneyProvider', accepted: [...PAYSTACK_GHANA_PROVIDERS] });
    }
    if (!provider) throw new ValidationError('Choose the mobile money network.', { field: 'mobileMoneyProvider' });
    const operation = 'charge';
    const response = await this.call({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/charge`,
      json: {
        email,
        amount: payment.amountMinor,
        currency: payment.currency,
        reference: payment.paymentId,
        mobile_money: { phone: this.localPhone(payment), provider },
      },
      idempotent: false,
    });
    if (response.status !== 200) throw this.error(response, operation);
    const { data } = parseBody(chargeSchema, response, { gateway: this.id, operation });
    return this.chargeNext(data, payment.paymentId);
  }

  private chargeNext(data: z.infer<typeof chargeSchema>['data'], reference: string): Initiation {
    switch (data.status) {
      case 'pay_offline':
        return { kind: 'approve_on_phone', reference, message: data.display_text ?? undefined };
      case 'send_otp':
        return { kind: 'otp_required', reference, message: data.display_text ?? undefined };
      case 'failed':
        throw new PaymentDeclinedError({ gateway: this.id, operation: 'charge' });
      default:
        // success, pending, processing: the outcome comes by webhook or verify.
        return { kind: 'processing', reference };
    }
  }

  /** Ghana numbers go to Paystack in local form ("0551234987"). */
  private localPhone(payment: PaymentRequest): string {
    const digits = msisdn(payment.customer.phone);
    return payment.currency === 'GHS' && digits.startsWith('233') ? `0${digits.slice(3)}` : digits;
  }

  private email(payment: PaymentRequest): string {
    if (payment.customer.email) return payment.customer.email;
    if (this.config.placeholderEmailDomain) return `${msisdn(payment.customer.phone)}@${this.config.placeholderEmailDomain}`;
    throw new ValidationError('Paystack needs an email address for this customer.', { field: 'customer.email' });
  }

  private snapshot(transaction: z.infer<typeof transactionSchema>): PaymentSnapshot {
    const status = mapStatus(transaction.status);
    return {
      gateway: this.id,
      reference: transaction.reference,
      status,
      amountMinor: parseMinor(transaction.amount),
      currency: transaction.currency,
      gatewayTransactionId: String(transaction.id),
      failureReason: status === 'failed' ? (transaction.gateway_response ?? transaction.status) : null,
    };
  }

  private call(call: Omit<GatewayCall, 'gateway' | 'headers'>): Promise<GatewayResponse> {
    return send({ ...call, gateway: this.id, headers: { authorization: `Bearer ${this.config.secretKey}` } }, this.transport);
  }

  private message(response: GatewayResponse): string | undefined {
    const parsed = envelope.safeParse(response.body);
    return parsed.success ? parsed.data.message : undefined;
  }

  private error(response: GatewayResponse, operation: string): GatewayError {
    const where = { gateway: this.id, operation, httpStatus: response.status };
    if (response.status >= 400 && response.status < 500) return new GatewayRejectedError('Paystack refused the request.', where);
    return unexpectedStatus(response, { gateway: this.id, operation });
  }
}

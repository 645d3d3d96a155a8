// bKash tokenized checkout (Bangladesh), v1.2.0-beta.
//
// - Grant token once (username/password headers + app key/secret), cache it, renew it
//   with the refresh token, fall back to a fresh grant if renewal fails.
// - create → customer approves on bKash's page → browser returns to our callback URL
//   with ?paymentID&status (unsigned) → we call execute: money moves only there.
// - execute answering 2062/2117/2068 ("already completed"/"already called") is not a
//   failure: we query the payment status instead. So are timeouts: execute is safe to
//   repeat because a repeat is answered with one of those codes.
// - Nothing the browser brings is believed: the callback outcome comes from execute and
//   the status query, both authenticated API calls.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { formatMajor, parseMajor } from '../money.ts';
import { GatewayError, GatewayRejectedError, GatewayTimeoutError, UnknownPaymentError } from './errors.ts';
import { parseBody, send, unexpectedStatus, type GatewayCall, type GatewayResponse } from './http.ts';
import { checkPaymentRequest, msisdn } from './shared.ts';
import { TokenCache, type TokenGrant } from './token-cache.ts';
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

export interface BkashConfig {
  /** e.g. https://tokenized.sandbox.bka.sh/v1.2.0-beta/tokenized/checkout */
  baseUrl: string;
  username: string;
  password: string;
  appKey: string;
  appSecret: string;
  /** Where bKash sends the customer's browser back (our callback function). */
  callbackUrl: string;
  /** Where our callback then sends the browser (the app), with ?reference&status. */
  returnUrl?: string | undefined;
  transport?: TransportOptions | undefined;
}

/** Codes meaning "this payment was already executed": re-query, do not fail. */
export const BKASH_ALREADY_COMPLETED = new Set(['2062', '2117', '2068']);

const tokenSchema = z
  .object({
    statusCode: z.string().optional(),
    statusMessage: z.string().optional(),
    id_token: z.string().min(1).optional(),
    refresh_token: z.string().optional(),
    expires_in: z.coerce.number().int().positive().optional(),
  })
  .passthrough();

/** bKash answers errors with HTTP 200 and statusCode (newer) or errorCode (older). */
const resultSchema = z
  .object({
    statusCode: z.string().optional(),
    statusMessage: z.string().optional(),
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
  })
  .passthrough();

const createSchema = z.object({ paymentID: z.string().min(1), bkashURL: z.url() }).passthrough();

const paymentSchema = z
  .object({
    paymentID: z.string().min(1),
    trxID: z.string().nullish(),
    transactionStatus: z.string().min(1),
    amount: z.union([z.string(), z.number()]),
    currency: z.string().length(3),
  })
  .passthrough();

const refundSchema = z
  .object({
    refundTrxID: z.string().min(1),
    transactionStatus: z.string().min(1),
    amount: z.union([z.string(), z.number()]),
    currency: z.string().length(3),
  })
  .passthrough();

const callbackQuerySchema = z.object({
  paymentID: z.string().min(1).max(100),
  status: z.enum(['success', 'failure', 'cancel']),
});

function resultCode(body: unknown): { code: string | undefined; message: string | undefined } {
  const parsed = resultSchema.safeParse(body);
  if (!parsed.success) return { code: undefined, message: undefined };
  return { code: parsed.data.statusCode ?? parsed.data.errorCode, message: parsed.data.statusMessage ?? parsed.data.errorMessage };
}

function mapStatus(transactionStatus: string): PaymentStatus {
  switch (transactionStatus.toLowerCase()) {
    case 'completed':
      return 'succeeded';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
    case 'declined':
      return 'failed';
    case 'expired':
      return 'expired';
    default:
      // Initiated, Pending Authorized, Authorized, anything new: not money yet.
      return 'pending';
  }
}

export class BkashGateway implements PaymentGateway {
  readonly id = 'bkash' as const;
  readonly capabilities: GatewayCapabilities = { refund: true, partialRefund: true, merchantApi: false };
  private readonly baseUrl: string;
  private readonly transport: TransportOptions;
  private readonly token: TokenCache;

  constructor(private readonly config: BkashConfig) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.transport = config.transport ?? {};
    this.token = new TokenCache((refreshToken) => this.mintToken(refreshToken), this.transport.now ? { now: this.transport.now } : {});
  }

  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment, ['BDT']);
    const operation = 'create';
    // create has no idempotency key: never retried.
    const response = await this.authorized({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/create`,
      json: {
        mode: '0011',
        payerReference: msisdn(payment.customer.phone),
        callbackURL: this.config.callbackUrl,
        amount: formatMajor(payment.amountMinor, payment.currency, 'compact'),
        currency: payment.currency,
        intent: 'sale',
        merchantInvoiceNumber: payment.paymentId,
      },
      idempotent: false,
    });
    this.expectSuccess(response, operation);
    const created = parseBody(createSchema, response, { gateway: this.id, operation });
    return { kind: 'redirect', reference: created.paymentID, url: created.bkashURL };
  }

  /**
   * Executes the payment (moves the money) and reports its state. Repeats, timeouts
   * and "already completed" answers all end in a status query.
   */
  async execute(reference: string): Promise<PaymentSnapshot> {
    const operation = 'execute';
    let response: GatewayResponse;
    try {
      response = await this.authorized({
        operation,
        method: 'POST',
        url: `${this.baseUrl}/execute`,
        json: { paymentID: reference },
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof GatewayTimeoutError) return this.fetchStatus(reference);
      throw error;
    }
    if (response.status !== 200) throw unexpectedStatus(response, { gateway: this.id, operation });
    const { code } = resultCode(response.body);
    if (code === undefined || code === '0000') {
      const payment = paymentSchema.safeParse(response.body);
      if (payment.success && payment.data.paymentID === reference) return this.snapshot(payment.data, reference);
    }
    // Already executed, not yet approved, or refused: the status query says which.
    return this.fetchStatus(reference);
  }

  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    const operation = 'payment-status';
    const response = await this.authorized({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/payment/status`,
      json: { paymentID: reference },
      idempotent: true,
    });
    if (response.status === 404) throw new UnknownPaymentError(this.id, reference);
    if (response.status !== 200) throw unexpectedStatus(response, { gateway: this.id, operation });
    const { code } = resultCode(response.body);
    if (code !== undefined && code !== '0000') {
      // e.g. 2056 "Invalid Payment State" for an id bKash does not know.
      const payment = paymentSchema.safeParse(response.body);
      if (!payment.success) throw new UnknownPaymentError(this.id, reference);
    }
    const payment = parseBody(paymentSchema, response, { gateway: this.id, operation });
    if (payment.paymentID !== reference) throw new GatewayError('bKash answered about another payment.', { gateway: this.id, operation });
    return this.snapshot(payment, reference);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (!request.gatewayTransactionId) {
      throw new ValidationError('A bKash refund needs the payment trxID.', { field: 'gatewayTransactionId' });
    }
    const operation = 'refund';
    // Refunds have no idempotency key: never retried.
    const response = await this.authorized({
      operation,
      method: 'POST',
      url: `${this.baseUrl}/payment/refund`,
      json: {
        paymentID: request.reference,
        amount: formatMajor(request.amountMinor, request.currency, 'compact'),
        trxID: request.gatewayTransactionId,
        sku: request.refundId,
        reason: request.reason ?? 'Refund',
      },
      idempotent: false,
    });
    this.expectSuccess(response, operation);
    const refund = parseBody(refundSchema, response, { gateway: this.id, operation });
    return {
      refundId: request.refundId,
      status: refund.transactionStatus.toLowerCase() === 'completed' ? 'succeeded' : 'pending',
      gatewayRefundId: refund.refundTrxID,
      amountMinor: this.amount(refund.amount, refund.currency, operation),
      currency: refund.currency,
    };
  }

  /**
   * The browser's return from bKash (GET ?paymentID&status). On "success" we execute;
   * on anything else we query, since the query string is unauthenticated. The reply
   * sends the browser on to `returnUrl`.
   */
  async verifyCallback(request: Request): Promise<CallbackResult> {
    const url = new URL(request.url);
    const query = callbackQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) {
      return { outcome: { kind: 'ignored', reason: 'bad_query' }, reply: this.browserReply(undefined, 'failed') };
    }
    const { paymentID, status } = query.data;
    let payment: PaymentSnapshot;
    try {
      payment = status === 'success' ? await this.execute(paymentID) : await this.fetchStatus(paymentID);
    } catch (error) {
      if (error instanceof UnknownPaymentError) {
        return { outcome: { kind: 'ignored', reason: 'unknown_payment' }, reply: this.browserReply(undefined, 'failed') };
      }
      if (error instanceof GatewayError) {
        // bKash unreachable: the poller will finish the job.
        return { outcome: { kind: 'refetch', reference: paymentID }, reply: this.browserReply(paymentID, 'pending') };
      }
      throw error;
    }
    return {
      outcome: { kind: 'verified', eventId: `bkash:${paymentID}:${payment.status}`, payment },
      reply: this.browserReply(paymentID, payment.status),
    };
  }

  private browserReply(reference: string | undefined, status: string): Response {
    if (!this.config.returnUrl) return new Response(null, { status: 204 });
    const target = new URL(this.config.returnUrl);
    if (reference) target.searchParams.set('reference', reference);
    target.searchParams.set('status', status);
    return new Response(null, { status: 303, headers: { location: target.toString() } });
  }

  private snapshot(payment: z.infer<typeof paymentSchema>, reference: string): PaymentSnapshot {
    const status = mapStatus(payment.transactionStatus);
    return {
      gateway: this.id,
      reference,
      status,
      amountMinor: this.amount(payment.amount, payment.currency, 'payment'),
      currency: payment.currency,
      gatewayTransactionId: payment.trxID ?? null,
      failureReason: status === 'failed' || status === 'cancelled' || status === 'expired' ? payment.transactionStatus : null,
    };
  }

  private amount(value: string | number, currency: string, operation: string): number {
    try {
      return parseMajor(value, currency);
    } catch {
      throw new GatewayError('The payment provider reported an unusable amount.', { gateway: this.id, operation });
    }
  }

  private expectSuccess(response: GatewayResponse, operation: string): void {
    if (response.status !== 200) throw unexpectedStatus(response, { gateway: this.id, operation });
    const { code } = resultCode(response.body);
    if (code !== undefined && code !== '0000') {
      throw new GatewayRejectedError('bKash refused the request.', { gateway: this.id, operation, gatewayCode: code });
    }
  }

  private credentialHeaders(): Record<string, string> {
    return { username: this.config.username, password: this.config.password };
  }

  private async mintToken(refreshToken: string | undefined): Promise<TokenGrant> {
    if (refreshToken) {
      try {
        return await this.tokenCall('token-refresh', 'token/refresh', {
          app_key: this.config.appKey,
          app_secret: this.config.appSecret,
          refresh_token: refreshToken,
        });
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error;
        // Refresh token expired or revoked: start over with a grant.
      }
    }
    return this.tokenCall('token-grant', 'token/grant', { app_key: this.config.appKey, app_secret: this.config.appSecret });
  }

  private async tokenCall(operation: string, path: string, json: Record<string, string>): Promise<TokenGrant> {
    const response = await send(
      { gateway: this.id, operation, method: 'POST', url: `${this.baseUrl}/${path}`, headers: this.credentialHeaders(), json, idempotent: true },
      this.transport,
    );
    if (response.status !== 200) throw unexpectedStatus(response, { gateway: this.id, operation });
    const token = parseBody(tokenSchema, response, { gateway: this.id, operation });
    if ((token.statusCode !== undefined && token.statusCode !== '0000') || !token.id_token) {
      throw new GatewayRejectedError('bKash refused the credentials.', {
        gateway: this.id,
        operation,
        ...(token.statusCode ? { gatewayCode: token.statusCode } : {}),
      });
    }
    return { accessToken: token.id_token, expiresInSeconds: token.expires_in ?? 3600, refreshToken: token.refresh_token };
  }

  private async authorized(call: Omit<GatewayCall, 'gateway'>): Promise<GatewayResponse> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.token.get();
      const response = await send(
        { ...call, gateway: this.id, headers: { ...call.headers, authorization: token, 'x-app-key': this.config.appKey } },
        this.transport,
      );
      if (response.status === 401 && attempt === 1) {
        this.token.invalidate(token);
        continue;
      }
      return response;
    }
  }
}

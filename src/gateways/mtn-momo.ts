// MTN MoMo Open API: Collection (request-to-pay) and Disbursement (transfer, refund).
//
// - One OAuth token per product (collection, disbursement), cached and refreshed
//   ahead of expiry; concurrent callers share one refresh (token-cache.ts).
// - Our payment/refund/payout UUID is the X-Reference-Id: MoMo refuses a second
//   request with the same id (409 RESOURCE_ALREADY_EXIST), which makes a retry after a
//   timeout safe — and a 409 on our own id means the earlier attempt got through.
// - Callbacks are unsigned: `verifyCallback` only says which payment to re-fetch.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { formatMajor, parseMajor } from '../money.ts';
import { isUuid, utf8ToBase64 } from './crypto.ts';
import { GatewayError, GatewayRejectedError, NotSupportedError, UnknownPaymentError } from './errors.ts';
import { parseBody, send, unexpectedStatus, type GatewayCall, type GatewayResponse } from './http.ts';
import { checkPaymentRequest, clip, emptyReply, msisdn } from './shared.ts';
import { TokenCache } from './token-cache.ts';
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

export interface MtnMomoProductCredentials {
  /** Ocp-Apim-Subscription-Key of the product. */
  subscriptionKey: string;
  /** API user (a UUID) and its API key. */
  apiUser: string;
  apiKey: string;
}

export interface MtnMomoConfig {
  /** https://sandbox.momodeveloper.mtn.com or https://proxy.momoapi.mtn.com */
  baseUrl: string;
  /** "sandbox", "mtnghana", "mtnuganda", … */
  targetEnvironment: string;
  collection: MtnMomoProductCredentials;
  /** Needed for refunds and payouts. */
  disbursement?: MtnMomoProductCredentials | undefined;
  /** X-Callback-Url for request-to-pay. */
  callbackUrl?: string | undefined;
  /** X-Callback-Url for transfers and refunds (kept apart: their ids are not payments). */
  disbursementCallbackUrl?: string | undefined;
  transport?: TransportOptions | undefined;
}

export interface PayoutRequest {
  /** Our payout's UUID: X-Reference-Id and externalId. */
  payoutId: string;
  amountMinor: number;
  currency: PaymentRequest['currency'];
  /** E.164 phone of the payee. */
  payeePhone: string;
  message?: string | undefined;
}

type Product = 'collection' | 'disbursement';

const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
});

const errorSchema = z.object({ code: z.string().optional(), message: z.string().optional() }).passthrough();

const reasonSchema = z
  .union([z.string(), z.object({ code: z.string().optional(), message: z.string().optional() }).passthrough()])
  .nullish();

/** GET requesttopay/{id}, transfer/{id} and refund/{id} answer alike. */
const transactionSchema = z
  .object({
    amount: z.union([z.string(), z.number()]),
    currency: z.string().length(3),
    financialTransactionId: z.string().nullish(),
    externalId: z.string().nullish(),
    status: z.string().min(1),
    reason: reasonSchema,
  })
  .passthrough();

/** Callback bodies look like the status answer; we trust none of it but the id. */
const callbackSchema = z.object({ externalId: z.string().optional(), referenceId: z.string().optional() }).passthrough();

/** Sandbox statuses beyond the documented three are mapped conservatively. */
function mapStatus(status: string, reason: string | null): PaymentStatus {
  switch (status.toUpperCase()) {
    case 'SUCCESSFUL':
      return 'succeeded';
    case 'FAILED':
    case 'REJECTED':
      return reason === 'EXPIRED' ? 'expired' : 'failed';
    case 'TIMEOUT':
    case 'EXPIRED':
      return 'expired';
    default:
      // PENDING, ONGOING, CREATED, anything new: keep polling.
      return 'pending';
  }
}

function reasonText(reason: z.infer<typeof reasonSchema>): string | null {
  if (!reason) return null;
  return typeof reason === 'string' ? reason : (reason.code ?? reason.message ?? null);
}

export class MtnMomoGateway implements PaymentGateway {
  readonly id = 'mtn_momo' as const;
  readonly capabilities: GatewayCapabilities;
  private readonly baseUrl: string;
  private readonly transport: TransportOptions;
  private readonly tokens: Record<Product, TokenCache | undefined>;

  constructor(private readonly config: MtnMomoConfig) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.transport = config.transport ?? {};
    const cacheOptions = this.transport.now ? { now: this.transport.now } : {};
    this.tokens = {
      collection: new TokenCache(() => this.mintToken('collection'), cacheOptions),
      disbursement: config.disbursement ? new TokenCache(() => this.mintToken('disbursement'), cacheOptions) : undefined,
    };
    this.capabilities = { refund: Boolean(config.disbursement), partialRefund: Boolean(config.disbursement), merchantApi: false };
  }

  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment);
    const note = clip(payment.description, 160);
    const response = await this.authorized('collection', {
      operation: 'requesttopay',
      method: 'POST',
      url: `${this.baseUrl}/collection/v1_0/requesttopay`,
      headers: {
        'x-reference-id': payment.paymentId,
        ...(this.config.callbackUrl ? { 'x-callback-url': this.config.callbackUrl } : {}),
      },
      json: {
        amount: formatMajor(payment.amountMinor, payment.currency, 'compact'),
        currency: payment.currency,
        externalId: payment.paymentId,
        payer: { partyIdType: 'MSISDN', partyId: msisdn(payment.customer.phone) },
        payerMessage: note,
        payeeNote: note,
      },
      idempotent: true,
    });
    this.expectAccepted(response, 'requesttopay');
    return { kind: 'approve_on_phone', reference: payment.paymentId, message: 'Approve the payment on your phone.' };
  }

  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    return this.fetchTransaction('collection', 'requesttopay', reference);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    this.requireDisbursement('refund');
    if (!isUuid(request.refundId) || !isUuid(request.reference)) {
      throw new ValidationError('Refund and payment ids must be UUIDs.', { field: 'refundId' });
    }
    const note = clip(request.reason ?? 'Refund', 160);
    const response = await this.authorized('disbursement', {
      operation: 'refund',
      method: 'POST',
      url: `${this.baseUrl}/disbursement/v1_0/refund`,
      headers: {
        'x-reference-id': request.refundId,
        ...(this.config.disbursementCallbackUrl ? { 'x-callback-url': this.config.disbursementCallbackUrl } : {}),
      },
      json: {
        amount: formatMajor(request.amountMinor, request.currency, 'compact'),
        currency: request.currency,
        externalId: request.refundId,
        payerMessage: note,
        payeeNote: note,
        referenceIdToRefund: request.reference,
      },
      idempotent: true,
    });
    this.expectAccepted(response, 'refund');
    return { refundId: request.refundId, status: 'pending', gatewayRefundId: request.refundId, amountMinor: request.amountMinor, currency: request.currency };
  }

  async fetchRefundStatus(refundId: string): Promise<PaymentSnapshot> {
    this.requireDisbursement('refund');
    return this.fetchTransaction('disbursement', 'refund', refundId);
  }

  /** Pays money out to a MoMo wallet (seller payouts). */
  async transfer(payout: PayoutRequest): Promise<{ reference: string; status: 'pending' }> {
    this.requireDisbursement('transfer');
    if (!isUuid(payout.payoutId)) throw new ValidationError('The payout id must be a UUID.', { field: 'payoutId' });
    const note = clip(payout.message ?? 'Payout', 160);
    const response = await this.authorized('disbursement', {
      operation: 'transfer',
      method: 'POST',
      url: `${this.baseUrl}/disbursement/v1_0/transfer`,
      headers: {
        'x-reference-id': payout.payoutId,
        ...(this.config.disbursementCallbackUrl ? { 'x-callback-url': this.config.disbursementCallbackUrl } : {}),
      },
      json: {
        amount: formatMajor(payout.amountMinor, payout.currency, 'compact'),
        currency: payout.currency,
        externalId: payout.payoutId,
        payee: { partyIdType: 'MSISDN', partyId: msisdn(payout.payeePhone) },
        payerMessage: note,
        payeeNote: note,
      },
      idempotent: true,
    });
    this.expectAccepted(response, 'transfer');
    return { reference: payout.payoutId, status: 'pending' };
  }

  async fetchTransferStatus(payoutId: string): Promise<PaymentSnapshot> {
    this.requireDisbursement('transfer');
    return this.fetchTransaction('disbursement', 'transfer', payoutId);
  }

  /**
   * MoMo callbacks (POST or PUT) carry no signature, so nothing in them is believed:
   * the outcome only names the payment (our externalId) to re-fetch.
   */
  async verifyCallback(request: Request): Promise<CallbackResult> {
    if (request.method !== 'POST' && request.method !== 'PUT') {
      return { outcome: { kind: 'ignored', reason: 'method' }, reply: emptyReply(405) };
    }
    let body: unknown;
    try {
      body = JSON.parse(await request.text()) as unknown;
    } catch {
      body = undefined;
    }
    const parsed = callbackSchema.safeParse(body);
    const candidate = parsed.success ? (parsed.data.externalId ?? parsed.data.referenceId) : undefined;
    if (!candidate || !isUuid(candidate)) {
      return { outcome: { kind: 'ignored', reason: 'no_reference' }, reply: emptyReply(200) };
    }
    return { outcome: { kind: 'refetch', reference: candidate.toLowerCase() }, reply: emptyReply(200) };
  }

  private async fetchTransaction(product: Product, kind: 'requesttopay' | 'transfer' | 'refund', reference: string): Promise<PaymentSnapshot> {
    if (!isUuid(reference)) throw new UnknownPaymentError(this.id, reference);
    const operation = `${kind}-status`;
    const response = await this.authorized(product, {
      operation,
      method: 'GET',
      url: `${this.baseUrl}/${product}/v1_0/${kind}/${encodeURIComponent(reference)}`,
      idempotent: true,
    });
    if (response.status === 404) throw new UnknownPaymentError(this.id, reference);
    if (response.status !== 200) throw this.error(response, operation);
    const data = parseBody(transactionSchema, response, { gateway: this.id, operation });
    let amountMinor: number;
    try {
      amountMinor = parseMajor(data.amount, data.currency);
    } catch {
      throw new GatewayError('The payment provider reported an unusable amount.', { gateway: this.id, operation });
    }
    const reason = reasonText(data.reason);
    const status = mapStatus(data.status, reason);
    return {
      gateway: this.id,
      reference,
      status,
      amountMinor,
      currency: data.currency,
      gatewayTransactionId: data.financialTransactionId ?? null,
      failureReason: status === 'failed' || status === 'expired' ? (reason ?? data.status) : null,
    };
  }

  private expectAccepted(response: GatewayResponse, operation: string): void {
    // 409 on our own X-Reference-Id: an earlier attempt (timed out on our side) got in.
    if (response.status === 202 || response.status === 409) return;
    throw this.error(response, operation);
  }

  private error(response: GatewayResponse, operation: string): GatewayError {
    const parsed = errorSchema.safeParse(response.body);
    const gatewayCode = parsed.success ? parsed.data.code : undefined;
    const where = { gateway: this.id, operation, httpStatus: response.status, ...(gatewayCode ? { gatewayCode } : {}) };
    if (response.status >= 400 && response.status < 500) {
      return new GatewayRejectedError('The payment provider refused the request.', where);
    }
    return unexpectedStatus(response, { gateway: this.id, operation }, gatewayCode);
  }

  private requireDisbursement(operation: string): MtnMomoProductCredentials {
    if (!this.config.disbursement) {
      throw new NotSupportedError(this.id, operation, 'MTN MoMo refunds and payouts need Disbursement credentials.');
    }
    return this.config.disbursement;
  }

  private credentials(product: Product): MtnMomoProductCredentials {
    return product === 'collection' ? this.config.collection : this.requireDisbursement(product);
  }

  private async mintToken(product: Product) {
    const credentials = this.credentials(product);
    const response = await send(
      {
        gateway: this.id,
        operation: `${product}-token`,
        method: 'POST',
        url: `${this.baseUrl}/${product}/token/`,
        headers: {
          authorization: `Basic ${utf8ToBase64(`${credentials.apiUser}:${credentials.apiKey}`)}`,
          'ocp-apim-subscription-key': credentials.subscriptionKey,
        },
        idempotent: true,
      },
      this.transport,
    );
    if (response.status !== 200) throw this.error(response, `${product}-token`);
    const token = parseBody(tokenSchema, response, { gateway: this.id, operation: `${product}-token` });
    return { accessToken: token.access_token, expiresInSeconds: token.expires_in };
  }

  /** Adds the product's headers and token; on 401 drops the token and tries once more. */
  private async authorized(product: Product, call: Omit<GatewayCall, 'gateway'>): Promise<GatewayResponse> {
    const credentials = this.credentials(product);
    const cache = this.tokens[product]!;
    for (let attempt = 1; ; attempt++) {
      const token = await cache.get();
      const response = await send(
        {
          ...call,
          gateway: this.id,
          headers: {
            ...call.headers,
            authorization: `Bearer ${token}`,
            'x-target-environment': this.config.targetEnvironment,
            'ocp-apim-subscription-key': credentials.subscriptionKey,
          },
        },
        this.transport,
      );
      // A 401 means the request was not carried out, so repeating it is safe.
      if (response.status === 401 && attempt === 1) {
        cache.invalidate(token);
        continue;
      }
      return response;
    }
  }
}

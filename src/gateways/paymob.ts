// Paymob Accept (Egypt; regional hosts ksa/uae/oman/pakistan.paymob.com).
//
// - Checkout: the Intention API (secret key) → Unified Checkout URL (public key +
//   client secret).
// - Reference: Paymob's order id (`intention_order_id`). It is inside the HMAC of every
//   transaction callback, whereas `merchant_order_id`/`special_reference` is not:
//   keying on the signed order id stops a genuine callback for one order from being
//   replayed with another order's reference pasted in.
// - Callbacks: HMAC-SHA512 (hex) over the values of 20 documented fields, concatenated
//   in the documented order, for both the POST "processed" callback (JSON) and the GET
//   "response" callback (query string).
// - Status: transaction inquiry with a token from the legacy API key [unverified
//   endpoint details, see the report].
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { parseMinor } from '../money.ts';
import { hmacHex, timingSafeEqual } from './crypto.ts';
import { GatewayError, GatewayRejectedError, InvalidSignatureError, NotSupportedError, UnknownPaymentError } from './errors.ts';
import { parseBody, send, unexpectedStatus, type GatewayResponse } from './http.ts';
import { checkPaymentRequest, clip, emptyReply } from './shared.ts';
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

export interface PaymobConfig {
  /** https://accept.paymob.com (or a regional host). */
  baseUrl?: string | undefined;
  /** "sk_…": Intention API and refunds. */
  secretKey: string;
  /** "pk_…": goes into the Unified Checkout URL. */
  publicKey: string;
  /** Dashboard HMAC secret: verifies callbacks. */
  hmacSecret: string;
  /** Integration ids the checkout offers (card, wallet…). */
  integrationIds: number[];
  /** Legacy API key: needed only for `fetchStatus` (transaction inquiry). */
  apiKey?: string | undefined;
  /** Server-to-server "processed" callback URL. */
  notificationUrl?: string | undefined;
  /** Browser "response" callback URL. */
  redirectionUrl?: string | undefined;
  transport?: TransportOptions | undefined;
}

/** The callback fields the HMAC covers, in the documented order (POST path / GET name). */
export const PAYMOB_HMAC_FIELDS: ReadonlyArray<{ post: string; get: string }> = [
  { post: 'amount_cents', get: 'amount_cents' },
  { post: 'created_at', get: 'created_at' },
  { post: 'currency', get: 'currency' },
  { post: 'error_occured', get: 'error_occured' },
  { post: 'has_parent_transaction', get: 'has_parent_transaction' },
  { post: 'id', get: 'id' },
  { post: 'integration_id', get: 'integration_id' },
  { post: 'is_3d_secure', get: 'is_3d_secure' },
  { post: 'is_auth', get: 'is_auth' },
  { post: 'is_capture', get: 'is_capture' },
  { post: 'is_refunded', get: 'is_refunded' },
  { post: 'is_standalone_payment', get: 'is_standalone_payment' },
  { post: 'is_voided', get: 'is_voided' },
  { post: 'order.id', get: 'order_id' },
  { post: 'owner', get: 'owner' },
  { post: 'pending', get: 'pending' },
  { post: 'source_data.pan', get: 'source_data.pan' },
  { post: 'source_data.sub_type', get: 'source_data.sub_type' },
  { post: 'source_data.type', get: 'source_data.type' },
  { post: 'success', get: 'success' },
];

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  // An object where a scalar belongs (e.g. `order` not expanded) cannot match.
  return JSON.stringify(value);
}

function pick(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** The string the HMAC is computed over, from a processed callback's `obj`. */
export function paymobConcatenationFromObject(obj: unknown): string {
  return PAYMOB_HMAC_FIELDS.map((field) => scalarText(pick(obj, field.post))).join('');
}

/** The same string from a response callback's query parameters. */
export function paymobConcatenationFromQuery(params: URLSearchParams): string {
  return PAYMOB_HMAC_FIELDS.map((field) => {
    // The docs name the GET field order_id; Paymob's redirects have also used `order`.
    const value = params.get(field.get) ?? (field.get === 'order_id' ? params.get('order') : null);
    return value ?? '';
  }).join('');
}

const intentionSchema = z
  .object({
    id: z.string().min(1),
    client_secret: z.string().min(1),
    intention_order_id: z.coerce.number().int().positive(),
  })
  .passthrough();

const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** A Paymob transaction, as the processed callback's `obj`, inquiry and refund return it. */
const transactionSchema = z
  .object({
    id: z.coerce.number().int(),
    amount_cents: z.union([z.number().int(), z.string()]),
    currency: z.string().length(3),
    success: flag,
    pending: flag,
    is_refunded: flag.optional(),
    is_voided: flag.optional(),
    is_refund: flag.optional(),
    is_void: flag.optional(),
    refunded_amount_cents: z.union([z.number().int(), z.string()]).nullish(),
    data: z.object({ message: z.string().nullish() }).passthrough().nullish(),
    order: z.union([z.object({ id: z.coerce.number().int() }).passthrough(), z.coerce.number().int()]),
  })
  .passthrough();

type PaymobTransaction = z.infer<typeof transactionSchema>;

const callbackSchema = z.object({ type: z.string(), obj: z.unknown() }).passthrough();

const authSchema = z.object({ token: z.string().min(1) }).passthrough();

export class PaymobGateway implements PaymentGateway {
  readonly id = 'paymob' as const;
  readonly capabilities: GatewayCapabilities = { refund: true, partialRefund: true, merchantApi: false };
  private readonly baseUrl: string;
  private readonly transport: TransportOptions;
  private readonly authToken: TokenCache;

  constructor(private readonly config: PaymobConfig) {
    this.baseUrl = (config.baseUrl ?? 'https://accept.paymob.com').replace(/\/+$/, '');
    this.transport = config.transport ?? {};
    // Paymob's auth tokens last an hour [unverified]; we renew them well before.
    this.authToken = new TokenCache(() => this.mintAuthToken(), this.transport.now ? { now: this.transport.now } : {});
  }

  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment);
    const [firstName, ...rest] = (payment.customer.name ?? '').trim().split(/\s+/);
    const name = clip(payment.description, 50) || 'Order';
    const operation = 'intention';
    // No idempotency key exists for intentions, so this call is never retried.
    const response = await send(
      {
        gateway: this.id,
        operation,
        method: 'POST',
        url: `${this.baseUrl}/v1/intention/`,
        headers: { authorization: `Token ${this.config.secretKey}` },
        json: {
          amount: payment.amountMinor,
          currency: payment.currency,
          payment_methods: this.config.integrationIds,
          items: [{ name, amount: payment.amountMinor, description: clip(payment.description, 255) || name, quantity: 1 }],
          billing_data: {
            first_name: firstName || 'NA',
            last_name: rest.join(' ') || 'NA',
            email: payment.customer.email ?? 'NA',
            phone_number: payment.customer.phone,
          },
          special_reference: payment.paymentId,
          ...(this.config.notificationUrl ? { notification_url: this.config.notificationUrl } : {}),
          ...(payment.returnUrl ?? this.config.redirectionUrl
            ? { redirection_url: payment.returnUrl ?? this.config.redirectionUrl }
            : {}),
        },
        idempotent: false,
      },
      this.transport,
    );
    if (response.status !== 200 && response.status !== 201) throw this.error(response, operation);
    const intention = parseBody(intentionSchema, response, { gateway: this.id, operation });
    const url = new URL(`${this.baseUrl}/unifiedcheckout/`);
    url.searchParams.set('publicKey', this.config.publicKey);
    url.searchParams.set('clientSecret', intention.client_secret);
    return { kind: 'redirect', reference: String(intention.intention_order_id), url: url.toString() };
  }

  async verifyCallback(request: Request): Promise<CallbackResult> {
    const url = new URL(request.url);
    const received = (url.searchParams.get('hmac') ?? '').toLowerCase();
    if (!received) throw new InvalidSignatureError(this.id, 'missing');

    if (request.method === 'GET') {
      const expected = await hmacHex('SHA-512', this.config.hmacSecret, paymobConcatenationFromQuery(url.searchParams));
      if (!timingSafeEqual(received, expected)) throw new InvalidSignatureError(this.id, 'mismatch');
      const params = Object.fromEntries(url.searchParams);
      const transaction = transactionSchema.safeParse({ ...params, order: params.order_id ?? params.order });
      if (!transaction.success) throw new ValidationError('The callback is missing transaction fields.', { gateway: this.id });
      return this.transactionOutcome(transaction.data, emptyReply(200));
    }
    if (request.method !== 'POST') return { outcome: { kind: 'ignored', reason: 'method' }, reply: emptyReply(405) };

    let body: unknown;
    try {
      body = JSON.parse(await request.text()) as unknown;
    } catch {
      throw new InvalidSignatureError(this.id, 'malformed');
    }
    const envelope = callbackSchema.safeParse(body);
    if (!envelope.success) throw new InvalidSignatureError(this.id, 'malformed');
    if (envelope.data.type !== 'TRANSACTION') {
      // Card-token callbacks are signed over other fields; we do not store cards.
      return { outcome: { kind: 'ignored', reason: `type:${envelope.data.type}` }, reply: emptyReply(200) };
    }
    const expected = await hmacHex('SHA-512', this.config.hmacSecret, paymobConcatenationFromObject(envelope.data.obj));
    if (!timingSafeEqual(received, expected)) throw new InvalidSignatureError(this.id, 'mismatch');
    const transaction = transactionSchema.safeParse(envelope.data.obj);
    if (!transaction.success) throw new ValidationError('The callback is missing transaction fields.', { gateway: this.id });
    return this.transactionOutcome(transaction.data, emptyReply(200));
  }

  /** `reference` is Paymob's order id, as `initiate` returned it. */
  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    if (!this.config.apiKey) throw new NotSupportedError(this.id, 'status', 'Set the Paymob API key to query payments.');
    if (!/^\d+$/.test(reference)) throw new UnknownPaymentError(this.id, reference);
    const operation = 'transaction-inquiry';
    const response = await this.withAuthToken((token) =>
      send(
        {
          gateway: this.id,
          operation,
          method: 'POST',
          url: `${this.baseUrl}/api/ecommerce/orders/transaction_inquiry`,
          headers: { authorization: `Bearer ${token}` },
          json: { order_id: Number(reference) },
          idempotent: true,
        },
        this.transport,
      ),
    );
    if (response.status === 404) throw new UnknownPaymentError(this.id, reference);
    if (response.status !== 200) throw this.error(response, operation);
    const transaction = parseBody(transactionSchema, response, { gateway: this.id, operation });
    return this.snapshot(transaction, reference);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (!request.gatewayTransactionId || !/^\d+$/.test(request.gatewayTransactionId)) {
      throw new ValidationError('A Paymob refund needs the transaction id.', { field: 'gatewayTransactionId' });
    }
    const operation = 'refund';
    // No idempotency key: never retried. After a timeout, check the transaction first.
    const response = await send(
      {
        gateway: this.id,
        operation,
        method: 'POST',
        url: `${this.baseUrl}/api/acceptance/void_refund/refund`,
        headers: { authorization: `Token ${this.config.secretKey}` },
        json: { transaction_id: Number(request.gatewayTransactionId), amount_cents: request.amountMinor },
        idempotent: false,
      },
      this.transport,
    );
    if (response.status !== 200 && response.status !== 201) throw this.error(response, operation);
    const refund = parseBody(transactionSchema, response, { gateway: this.id, operation });
    return {
      refundId: request.refundId,
      status: refund.pending ? 'pending' : refund.success ? 'succeeded' : 'failed',
      gatewayRefundId: String(refund.id),
      amountMinor: parseMinor(refund.amount_cents),
      currency: refund.currency,
    };
  }

  private transactionOutcome(transaction: PaymobTransaction, reply: Response): CallbackResult {
    const orderId = String(typeof transaction.order === 'number' ? transaction.order : transaction.order.id);
    // A refund or void is its own transaction pointing at the original; what it means
    // for the payment is clearest from a fresh inquiry.
    if (transaction.is_refund || transaction.is_void) return { outcome: { kind: 'refetch', reference: orderId }, reply };
    const payment = this.snapshot(transaction, orderId);
    return {
      outcome: { kind: 'verified', eventId: `paymob:${transaction.id}:${payment.status}`, payment },
      reply,
    };
  }

  private snapshot(transaction: PaymobTransaction, reference: string): PaymentSnapshot {
    const amountMinor = parseMinor(transaction.amount_cents);
    let status: PaymentStatus;
    if (transaction.pending) status = 'pending';
    else if (transaction.is_voided) status = 'cancelled';
    else if (transaction.is_refunded) {
      const refunded = transaction.refunded_amount_cents == null ? amountMinor : parseMinor(transaction.refunded_amount_cents);
      status = refunded < amountMinor ? 'partially_refunded' : 'refunded';
    } else status = transaction.success ? 'succeeded' : 'failed';
    return {
      gateway: this.id,
      reference,
      status,
      amountMinor,
      currency: transaction.currency,
      gatewayTransactionId: String(transaction.id),
      failureReason: status === 'failed' ? (transaction.data?.message ?? 'DECLINED') : null,
    };
  }

  private async mintAuthToken() {
    const operation = 'auth-token';
    const response = await send(
      {
        gateway: this.id,
        operation,
        method: 'POST',
        url: `${this.baseUrl}/api/auth/tokens`,
        json: { api_key: this.config.apiKey },
        idempotent: true,
      },
      this.transport,
    );
    if (response.status !== 200 && response.status !== 201) throw this.error(response, operation);
    const { token } = parseBody(authSchema, response, { gateway: this.id, operation });
    return { accessToken: token, expiresInSeconds: 3600 };
  }

  private async withAuthToken(call: (token: string) => Promise<GatewayResponse>): Promise<GatewayResponse> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.authToken.get();
      const response = await call(token);
      if (response.status === 401 && attempt === 1) {
        this.authToken.invalidate(token);
        continue;
      }
      return response;
    }
  }

  private error(response: GatewayResponse, operation: string): GatewayError {
    const where = { gateway: this.id, operation, httpStatus: response.status };
    if (response.status >= 400 && response.status < 500) return new GatewayRejectedError('The payment provider refused the request.', where);
    return unexpectedStatus(response, { gateway: this.id, operation });
  }
}

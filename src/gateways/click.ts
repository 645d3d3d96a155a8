// Click (Uzbekistan) SHOP API: Click calls us with form POSTs, Prepare (action=0) then
// Complete (action=1), each signed with
//   md5(click_trans_id + service_id + SECRET_KEY + merchant_trans_id
//       + [merchant_prepare_id, Complete only] + amount + action + sign_time)
// over the values exactly as received. We answer JSON {…, error, error_note}; error 0
// is success, negative codes are Click's catalogue below. Storage is behind ClickStore.
// The sign string order follows Click's Django SDK (its PHP SDK has a known bug there).
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { formatMajor, parseMajor } from '../money.ts';
import type { ClickPrepare, ClickStore } from './click-store.ts';
import { md5Hex, timingSafeEqual } from './crypto.ts';
import { NotSupportedError, UnknownPaymentError } from './errors.ts';
import { checkPaymentRequest, jsonReply } from './shared.ts';
import type {
  CallbackOutcome,
  CallbackResult,
  GatewayCapabilities,
  Initiation,
  PaymentGateway,
  PaymentRequest,
  PaymentSnapshot,
  RefundResult,
} from './types.ts';

export interface ClickConfig {
  serviceId: string;
  merchantId: string;
  secretKey: string;
  /** Base of the hosted payment page; default https://my.click.uz/services/pay. */
  checkoutBaseUrl?: string | undefined;
}

/** Click's error codes and the notes its SDKs send with them. */
export const CLICK_ERRORS = {
  success: { error: 0, note: 'Success' },
  signFailed: { error: -1, note: 'SIGN CHECK FAILED!' },
  badAmount: { error: -2, note: 'Incorrect parameter amount' },
  actionNotFound: { error: -3, note: 'Action not found' },
  alreadyPaid: { error: -4, note: 'Already paid' },
  orderNotFound: { error: -5, note: 'User does not exist' },
  transactionNotFound: { error: -6, note: 'Transaction does not exist' },
  updateFailed: { error: -7, note: 'Failed to update user' },
  badRequest: { error: -8, note: 'Error in request from click' },
  cancelled: { error: -9, note: 'Transaction cancelled' },
} as const;

type ClickErrorName = keyof typeof CLICK_ERRORS;

const digits = z.string().regex(/^\d{1,19}$/);

const requestSchema = z.object({
  click_trans_id: digits,
  service_id: digits,
  click_paydoc_id: digits,
  merchant_trans_id: z.string().min(1).max(255),
  merchant_prepare_id: digits.optional(),
  amount: z.string().regex(/^\d+(\.\d+)?$/),
  action: z.string().regex(/^-?\d{1,3}$/),
  error: z.string().regex(/^-?\d{1,6}$/),
  error_note: z.string().max(1000).optional(),
  sign_time: z.string().min(1).max(40),
  sign_string: z.string().regex(/^[0-9a-fA-F]{32}$/),
});

type ClickRequest = z.infer<typeof requestSchema>;

/** The sign string Click computes, from the fields as received. */
export function clickSignString(fields: ClickRequest, secretKey: string): string {
  const prepareId = fields.action === '1' ? (fields.merchant_prepare_id ?? '') : '';
  return md5Hex(
    `${fields.click_trans_id}${fields.service_id}${secretKey}${fields.merchant_trans_id}${prepareId}${fields.amount}${fields.action}${fields.sign_time}`,
  );
}

export class ClickGateway implements PaymentGateway {
  readonly id = 'click' as const;
  readonly capabilities: GatewayCapabilities = { refund: false, partialRefund: false, merchantApi: true };

  constructor(
    private readonly config: ClickConfig,
    private readonly store: ClickStore,
  ) {}

  /** The order must already be in the store under `paymentId`. */
  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment, ['UZS']);
    const url = new URL(this.config.checkoutBaseUrl ?? 'https://my.click.uz/services/pay');
    url.searchParams.set('service_id', this.config.serviceId);
    url.searchParams.set('merchant_id', this.config.merchantId);
    url.searchParams.set('amount', formatMajor(payment.amountMinor, payment.currency, 'fixed'));
    url.searchParams.set('transaction_param', payment.paymentId);
    if (payment.returnUrl) url.searchParams.set('return_url', payment.returnUrl);
    return { kind: 'redirect', reference: payment.paymentId, url: url.toString() };
  }

  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    const prepare = await this.store.latestPrepareForOrder(reference);
    if (prepare) return this.snapshot(prepare);
    const order = await this.store.findOrder(reference);
    if (!order) throw new UnknownPaymentError(this.id, reference);
    return { gateway: this.id, reference, status: 'pending', amountMinor: order.amountMinor, currency: order.currency, gatewayTransactionId: null };
  }

  async refund(): Promise<RefundResult> {
    throw new NotSupportedError(this.id, 'refund', 'Click refunds (payment reversal) are not implemented.');
  }

  /** Answers Prepare or Complete. Protocol errors are the reply; it never throws for them. */
  async verifyCallback(request: Request): Promise<CallbackResult> {
    if (request.method !== 'POST') return this.reply({}, 'badRequest');
    const fields = await readFields(request);
    const parsed = requestSchema.safeParse(fields);
    if (!parsed.success) return this.reply(fields, 'badRequest');
    const input = parsed.data;
    if (input.action === '1' && input.merchant_prepare_id === undefined) return this.reply(fields, 'badRequest');
    if (!timingSafeEqual(clickSignString(input, this.config.secretKey), input.sign_string.toLowerCase())) {
      return this.reply(fields, 'signFailed');
    }
    if (input.service_id !== this.config.serviceId) return this.reply(fields, 'badRequest');
    try {
      if (input.action === '0') return await this.prepare(input);
      if (input.action === '1') return await this.complete(input);
      return this.reply(fields, 'actionNotFound');
    } catch {
      // Storage failed; Click will retry.
      return this.reply(fields, 'updateFailed');
    }
  }

  private async prepare(input: ClickRequest): Promise<CallbackResult> {
    const order = await this.store.findOrder(input.merchant_trans_id);
    if (!order || order.currency !== 'UZS') return this.reply(input, 'orderNotFound');
    const amount = amountOf(input.amount);
    if (amount === null || amount !== order.amountMinor) return this.reply(input, 'badAmount');
    if (order.state === 'paid') return this.reply(input, 'alreadyPaid');
    if (order.state === 'cancelled') return this.reply(input, 'cancelled');
    const prepare = await this.store.prepare({
      clickTransId: input.click_trans_id,
      clickPaydocId: input.click_paydoc_id,
      orderId: order.orderId,
      amountMinor: amount,
    });
    if (prepare.orderId !== order.orderId) return this.reply(input, 'badRequest');
    return this.reply(input, 'success', { merchant_prepare_id: prepare.prepareId }, { kind: 'ignored', reason: 'prepared' });
  }

  private async complete(input: ClickRequest): Promise<CallbackResult> {
    const prepareId = Number(input.merchant_prepare_id);
    const prepare = Number.isSafeInteger(prepareId) ? await this.store.findPrepare(prepareId) : null;
    if (!prepare || prepare.clickTransId !== input.click_trans_id || prepare.orderId !== input.merchant_trans_id) {
      return this.reply(input, 'transactionNotFound');
    }
    if (prepare.state === 'confirmed') return this.reply(input, 'alreadyPaid', { merchant_confirm_id: prepare.confirmId });
    if (prepare.state === 'cancelled') return this.reply(input, 'cancelled');
    const amount = amountOf(input.amount);
    if (amount === null || amount !== prepare.amountMinor) return this.reply(input, 'badAmount');

    const clickError = Number(input.error);
    if (clickError < 0) {
      // Click reports the payment failed on its side: cancel our prepare and say so.
      const cancelled = await this.store.cancel(prepare.prepareId, clickError);
      const outcome: CallbackOutcome =
        cancelled.state === 'cancelled'
          ? { kind: 'verified', eventId: `click:${prepare.clickTransId}:cancelled`, payment: this.snapshot(cancelled) }
          : { kind: 'ignored', reason: 'not_cancellable' };
      return this.reply(input, 'cancelled', {}, outcome);
    }

    const confirmed = await this.store.confirm(prepare.prepareId);
    if (confirmed.state !== 'confirmed') {
      // Another payment got the order first, or it was cancelled meanwhile.
      const order = await this.store.findOrder(prepare.orderId);
      return this.reply(input, order?.state === 'paid' ? 'alreadyPaid' : 'cancelled');
    }
    return this.reply(
      input,
      'success',
      { merchant_confirm_id: confirmed.confirmId },
      { kind: 'verified', eventId: `click:${confirmed.clickTransId}:confirmed`, payment: this.snapshot(confirmed) },
    );
  }

  private snapshot(prepare: ClickPrepare): PaymentSnapshot {
    return {
      gateway: this.id,
      reference: prepare.orderId,
      status: prepare.state === 'confirmed' ? 'succeeded' : prepare.state === 'cancelled' ? 'failed' : 'pending',
      amountMinor: prepare.amountMinor,
      currency: 'UZS',
      gatewayTransactionId: prepare.clickTransId,
      failureReason: prepare.state === 'cancelled' ? `click_error_${prepare.cancelCode ?? 'unknown'}` : null,
    };
  }

  private reply(
    fields: Partial<Record<string, unknown>>,
    name: ClickErrorName,
    extra: Record<string, unknown> = {},
    outcome: CallbackOutcome = { kind: 'ignored', reason: `error:${CLICK_ERRORS[name].error}` },
  ): CallbackResult {
    const { error, note } = CLICK_ERRORS[name];
    const echo: Record<string, unknown> = {};
    if (typeof fields.click_trans_id === 'string' && /^\d+$/.test(fields.click_trans_id)) echo.click_trans_id = Number(fields.click_trans_id);
    if (typeof fields.merchant_trans_id === 'string') echo.merchant_trans_id = fields.merchant_trans_id;
    if (typeof fields.merchant_prepare_id === 'string' && /^\d+$/.test(fields.merchant_prepare_id)) {
      echo.merchant_prepare_id = Number(fields.merchant_prepare_id);
    }
    return { outcome, reply: jsonReply({ ...echo, ...extra, error, error_note: note }) };
  }
}

function amountOf(text: string): number | null {
  try {
    return parseMajor(text, 'UZS');
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/** Click posts application/x-www-form-urlencoded; JSON is accepted too. */
async function readFields(request: Request): Promise<Record<string, string>> {
  const raw = await request.text();
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/json')) {
    try {
      const body = JSON.parse(raw) as unknown;
      if (body && typeof body === 'object') {
        return Object.fromEntries(
          Object.entries(body as Record<string, unknown>)
            .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
            .map(([key, value]) => [key, String(value)]),
        );
      }
    } catch {
      return {};
    }
    return {};
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

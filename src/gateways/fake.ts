// A deterministic gateway for development and tests: no network, outcomes drawn from
// a PRNG seeded with (seed, paymentId), so the same payment always ends the same way
// whatever order payments are made in, and a run can be replayed exactly. Its
// callbacks are signed the Standard Webhooks way, so the callback path of the edge
// functions is exercised exactly as with a real signed gateway.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { addMinor, assertMinorUnits } from '../money.ts';
import { InvalidSignatureError, UnknownPaymentError } from './errors.ts';
import { checkPaymentRequest, emptyReply } from './shared.ts';
import { signWebhook, verifyWebhook } from './standard-webhooks.ts';
import type {
  CallbackResult,
  GatewayCapabilities,
  Initiation,
  PaymentGateway,
  PaymentRequest,
  PaymentSnapshot,
  RefundRequest,
  RefundResult,
} from './types.ts';

export interface FakeGatewayConfig {
  /** Same seed, same outcomes. */
  seed: number | string;
  /** Share of payments that succeed, 0..1. */
  successRate: number;
  /** Standard Webhooks secret ("whsec_" + base64) used to sign and verify callbacks. */
  signingSecret: string;
  /** Base of the pretend hosted checkout page. */
  checkoutBaseUrl?: string;
  /** 'redirect' behaves like a card page, 'approve_on_phone' like mobile money. */
  flow?: 'redirect' | 'approve_on_phone';
  /** Payments stay pending this long before their outcome shows; default 0. */
  settleAfterMs?: number;
  now?: () => number;
}

interface FakePayment {
  request: PaymentRequest;
  createdAt: number;
  outcome: 'succeeded' | 'failed';
  refundedMinor: number;
}

/** FNV-1a (32-bit): turns the seed and payment id into a PRNG seed. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: a small, well-distributed 32-bit PRNG. Returns a generator of [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const callbackSchema = z.object({
  type: z.literal('payment.updated'),
  data: z.object({
    reference: z.string().min(1),
    status: z.enum(['pending', 'succeeded', 'failed', 'expired', 'cancelled', 'refunded', 'partially_refunded']),
    amountMinor: z.number().int().positive(),
    currency: z.string().length(3),
    gatewayTransactionId: z.string().nullable(),
  }),
});

export class FakeGateway implements PaymentGateway {
  readonly id = 'fake' as const;
  readonly capabilities: GatewayCapabilities = { refund: true, partialRefund: true, merchantApi: false };
  private readonly payments = new Map<string, FakePayment>();
  private readonly now: () => number;

  constructor(private readonly config: FakeGatewayConfig) {
    if (!(config.successRate >= 0 && config.successRate <= 1)) throw new Error('successRate must be between 0 and 1');
    this.now = config.now ?? Date.now;
  }

  /** The outcome this gateway will give the payment; the same for the same seed. */
  outcomeFor(paymentId: string): 'succeeded' | 'failed' {
    const draw = mulberry32(fnv1a(`${this.config.seed}:${paymentId}`))();
    return draw < this.config.successRate ? 'succeeded' : 'failed';
  }

  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment);
    const existing = this.payments.get(payment.paymentId);
    if (existing && (existing.request.amountMinor !== payment.amountMinor || existing.request.currency !== payment.currency)) {
      throw new ValidationError('This payment id was already used for another amount.', { field: 'paymentId' });
    }
    if (!existing) {
      this.payments.set(payment.paymentId, {
        request: payment,
        createdAt: this.now(),
        outcome: this.outcomeFor(payment.paymentId),
        refundedMinor: 0,
      });
    }
    const reference = payment.paymentId;
    if (this.config.flow === 'approve_on_phone') return { kind: 'approve_on_phone', reference, message: 'Approve the payment on your phone.' };
    const base = this.config.checkoutBaseUrl ?? 'https://fake-gateway.invalid/checkout';
    return { kind: 'redirect', reference, url: `${base}/${encodeURIComponent(reference)}` };
  }

  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    const payment = this.payments.get(reference);
    if (!payment) throw new UnknownPaymentError('fake', reference);
    return this.snapshot(reference, payment);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const payment = this.payments.get(request.reference);
    if (!payment) throw new UnknownPaymentError('fake', request.reference);
    assertMinorUnits(request.amountMinor, { positive: true });
    const status = this.snapshot(request.reference, payment).status;
    if (status !== 'succeeded' && status !== 'partially_refunded') {
      throw new ValidationError('Only a successful payment can be refunded.', { status });
    }
    const refunded = addMinor(payment.refundedMinor, request.amountMinor);
    if (request.currency !== payment.request.currency || refunded > payment.request.amountMinor) {
      throw new ValidationError('The refund exceeds what was paid.', { field: 'amountMinor' });
    }
    payment.refundedMinor = refunded;
    return {
      refundId: request.refundId,
      status: 'succeeded',
      gatewayRefundId: `fake_refund_${fnv1a(request.refundId).toString(16)}`,
      amountMinor: request.amountMinor,
      currency: request.currency,
    };
  }

  /**
   * The signed callback this gateway would send now for `reference`: feed it to
   * `verifyCallback`, or POST it at a local edge function.
   */
  async buildCallback(reference: string, url = 'https://soko.invalid/functions/v1/payments-callback/fake', options: { webhookId?: string; timestampSeconds?: number } = {}): Promise<Request> {
    const payment = await this.fetchStatus(reference);
    const body = JSON.stringify({ type: 'payment.updated', data: payment });
    const timestampSeconds = options.timestampSeconds ?? Math.floor(this.now() / 1000);
    const webhookId = options.webhookId ?? `msg_${reference}_${payment.status}`;
    return new Request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': webhookId,
        'webhook-timestamp': String(timestampSeconds),
        'webhook-signature': await signWebhook(this.config.signingSecret, webhookId, timestampSeconds, body),
      },
      body,
    });
  }

  async verifyCallback(request: Request): Promise<CallbackResult> {
    const body = await request.text();
    const verification = await verifyWebhook(this.config.signingSecret, request.headers, body, Math.floor(this.now() / 1000));
    if (!verification.ok) throw new InvalidSignatureError('fake', verification.reason);
    const parsed = callbackSchema.safeParse(safeJson(body));
    if (!parsed.success) throw new ValidationError('The callback body is not valid.', { gateway: 'fake' });
    const data = parsed.data.data;
    return {
      outcome: {
        kind: 'verified',
        eventId: verification.id,
        payment: { gateway: 'fake', ...data, failureReason: data.status === 'failed' ? 'DECLINED' : null },
      },
      reply: emptyReply(204),
    };
  }

  private snapshot(reference: string, payment: FakePayment): PaymentSnapshot {
    const settled = this.now() - payment.createdAt >= (this.config.settleAfterMs ?? 0);
    let status: PaymentSnapshot['status'] = settled ? payment.outcome : 'pending';
    if (status === 'succeeded' && payment.refundedMinor > 0) {
      status = payment.refundedMinor === payment.request.amountMinor ? 'refunded' : 'partially_refunded';
    }
    return {
      gateway: 'fake',
      reference,
      status,
      amountMinor: payment.request.amountMinor,
      currency: payment.request.currency,
      gatewayTransactionId: status === 'pending' || status === 'failed' ? null : `fake_tx_${fnv1a(reference).toString(16)}`,
      failureReason: status === 'failed' ? 'DECLINED' : null,
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

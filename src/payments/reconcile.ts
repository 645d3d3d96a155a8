// The reconciler: callbacks get lost, so payments still pending past a threshold are
// asked about (fetchStatus) and the answer goes through the one settlement function;
// a payment still pending after its approval window is expired. The same round sends
// gateway refunds the SQL booked, sends and checks payouts, and releases escrow whose
// market hold has passed. Every step is idempotent: rounds may overlap or repeat.
import { GatewayRejectedError, NotSupportedError, UnknownPaymentError } from '../gateways/errors.ts';
import { FakeGateway } from '../gateways/fake.ts';
import type { MtnMomoGateway } from '../gateways/mtn-momo.ts';
import type { PaymentGateway, PaymentSnapshot } from '../gateways/types.ts';
import type { Logger } from '../errors.ts';
import { currencyCode } from '../money.ts';
import type { Gateways } from './gateways.ts';
import { runPayouts, type PayoutRound } from './payouts.ts';
import { asService, reportOf, sendBookingNotices, sendNotices, settle, toNumber, type Sql } from './sql.ts';

export interface ReconcileOptions {
  /** Ask about payments pending for longer than this; default 120 s. */
  olderThanSeconds?: number;
  batchSize?: number;
  log?: Logger;
  now?: () => number;
}

export interface PaymentRound {
  checked: number;
  applied: number;
  expired: number;
  unchanged: number;
  errors: number;
}

interface ClaimedPayment {
  payment_id: string;
  gateway: string;
  reference: string;
  amount_minor: unknown;
  currency: string;
  expires_at: Date | null;
  payer_phone: string | null;
}

/**
 * The fake gateway keeps its payments in memory, and every function process has its
 * own: before asking it about a payment, tell it about the payment (its outcome is a
 * pure function of the seed and the payment id, so every process agrees).
 */
export async function primeFake(gateway: PaymentGateway, payment: { id: string; amountMinor: number; currency: string; phone?: string | null }): Promise<void> {
  if (!(gateway instanceof FakeGateway)) return;
  await gateway.initiate({
    paymentId: payment.id,
    amountMinor: payment.amountMinor,
    currency: currencyCode(payment.currency),
    description: 'Soko payment',
    customer: { phone: payment.phone ? `+${payment.phone}` : '+233200000000' },
  });
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return error instanceof Error ? error.name : 'unknown';
}

/** One round over pending payments. */
export async function reconcilePayments(sql: Sql, gateways: Gateways, options: ReconcileOptions = {}): Promise<PaymentRound> {
  const now = options.now ?? Date.now;
  const round: PaymentRound = { checked: 0, applied: 0, expired: 0, unchanged: 0, errors: 0 };
  const claimed = await asService(sql, (tx) => tx<ClaimedPayment[]>`
    select * from private.claim_pending_payments(make_interval(secs => ${options.olderThanSeconds ?? 120}),
                                                 ${options.batchSize ?? 100}, interval '1 minute')`);
  for (const payment of claimed) {
    round.checked += 1;
    const amountMinor = toNumber(payment.amount_minor);
    const expired = payment.expires_at !== null && payment.expires_at.getTime() <= now();
    const expire = async (reason: string) => {
      const outcome = await settle(
        sql,
        payment.gateway,
        { reference: payment.reference, status: 'expired', amount_minor: amountMinor, currency: payment.currency, gateway_transaction_id: null, failure_reason: reason },
        'reconcile',
      );
      if (outcome.result === 'applied') round.expired += 1;
      else round.unchanged += 1;
    };
    try {
      const gateway = gateways.get(payment.gateway);
      await primeFake(gateway, { id: payment.payment_id, amountMinor, currency: payment.currency, phone: payment.payer_phone });
      let snapshot: PaymentSnapshot;
      try {
        snapshot = await gateway.fetchStatus(payment.reference);
      } catch (error) {
        if (error instanceof UnknownPaymentError && expired) {
          await expire('unknown to the gateway');
          continue;
        }
        throw error;
      }
      const outcome = await settle(sql, payment.gateway, reportOf(snapshot), 'reconcile');
      if (outcome.result === 'applied') round.applied += 1;
      else if (outcome.result === 'still_pending' && expired) await expire('approval window passed');
      else round.unchanged += 1;
    } catch (error) {
      round.errors += 1;
      options.log?.('reconcile failed for a payment', { paymentId: payment.payment_id, gateway: payment.gateway, code: errorCode(error) });
    }
  }
  return round;
}

export interface RefundRound {
  sent: number;
  succeeded: number;
  processing: number;
  toWallet: number;
  errors: number;
}

interface ClaimedRefund {
  refund_id: string;
  status: 'pending' | 'processing';
  gateway: string;
  reference: string;
  gateway_transaction_id: string | null;
  gateway_refund_id: string | null;
  amount_minor: unknown;
  currency: string;
  reason: string | null;
}

async function completeRefund(
  sql: Sql,
  refundId: string,
  status: 'processing' | 'succeeded' | 'failed' | null,
  gatewayRefundId: string | null,
  failureReason: string | null,
  retryAfterSeconds = 300,
): Promise<void> {
  await asService(sql, (tx) => tx`
    select private.complete_refund(${refundId}, ${status}::public.refund_status, ${gatewayRefundId}, ${failureReason},
                                   make_interval(secs => ${retryAfterSeconds}))`);
}

function hasRefundStatus(gateway: PaymentGateway): gateway is PaymentGateway & Pick<MtnMomoGateway, 'fetchRefundStatus'> {
  return typeof (gateway as Partial<MtnMomoGateway>).fetchRefundStatus === 'function';
}

/** One round of the refund worker: sends booked gateway refunds and checks those in flight. */
export async function runRefunds(sql: Sql, gateways: Gateways, options: { batchSize?: number; only?: string; log?: Logger } = {}): Promise<RefundRound> {
  const round: RefundRound = { sent: 0, succeeded: 0, processing: 0, toWallet: 0, errors: 0 };
  const claimed = await asService(sql, (tx) => tx<ClaimedRefund[]>`
    select * from private.claim_gateway_refunds(${options.batchSize ?? 50}, interval '2 minutes', ${options.only ?? null})`);
  for (const refund of claimed) {
    try {
      const gateway = gateways.get(refund.gateway);
      const amountMinor = toNumber(refund.amount_minor);
      if (refund.status === 'pending') {
        const [payment] = await asService(sql, (tx) => tx`
          select p.id, p.amount_minor, p.currency, a.phone from public.payments as p
          left join public.accounts as a on a.id = p.payer_id
          join public.refunds as r on r.payment_id = p.id where r.id = ${refund.refund_id}`);
        await primeFake(gateway, { id: String(payment!.id), amountMinor: toNumber(payment!.amount_minor), currency: String(payment!.currency), phone: payment!.phone as string | null });
        const result = await gateway.refund({
          refundId: refund.refund_id,
          reference: refund.reference,
          gatewayTransactionId: refund.gateway_transaction_id,
          amountMinor,
          currency: currencyCode(refund.currency),
          reason: refund.reason ?? undefined,
        });
        round.sent += 1;
        const status = result.status === 'pending' ? 'processing' : result.status;
        await completeRefund(sql, refund.refund_id, status, result.gatewayRefundId, null, 120);
        if (status === 'succeeded') round.succeeded += 1;
        else if (status === 'processing') round.processing += 1;
        else round.toWallet += 1;
      } else if (hasRefundStatus(gateway)) {
        const snapshot = await gateway.fetchRefundStatus(refund.gateway_refund_id ?? refund.refund_id);
        const status = snapshot.status === 'succeeded' ? 'succeeded' : snapshot.status === 'pending' ? null : 'failed';
        await completeRefund(sql, refund.refund_id, status, null, snapshot.failureReason ?? null, 120);
        if (status === 'succeeded') round.succeeded += 1;
        else if (status === 'failed') round.toWallet += 1;
        else round.processing += 1;
      } else {
        // Accepted by a gateway we cannot ask about refunds: it settles on its side.
        await completeRefund(sql, refund.refund_id, 'succeeded', null, null);
        round.succeeded += 1;
      }
    } catch (error) {
      if (error instanceof GatewayRejectedError || error instanceof NotSupportedError || error instanceof UnknownPaymentError) {
        // The gateway will not refund: the customer gets wallet credit instead.
        await completeRefund(sql, refund.refund_id, 'failed', null, errorCode(error));
        round.toWallet += 1;
      } else {
        round.errors += 1;
        options.log?.('refund attempt failed', { refundId: refund.refund_id, code: errorCode(error) });
        // Unknown outcome (timeout, 5xx): ask again next round with the same refund id.
        await completeRefund(sql, refund.refund_id, null, null, errorCode(error), 300);
      }
    }
  }
  if (claimed.length > 0) await sendNotices(sql, options.log);
  return round;
}

export interface ReconcileRound {
  payments: PaymentRound;
  refunds: RefundRound;
  payouts: PayoutRound;
  escrowReleased: number;
  /** Booking requests expired, and reviews published when their window closed. */
  requestsExpired: number;
  reviewsPublished: number;
  /** Notifications sent from the outbox. */
  notified: number;
  /** Booking, dispute and review events turned into notifications. */
  bookingEvents: number;
}

/** Everything the schedulable job does, in order. */
export async function reconcileAll(sql: Sql, gateways: Gateways, options: ReconcileOptions = {}): Promise<ReconcileRound> {
  const payments = await reconcilePayments(sql, gateways, options);
  const refunds = await runRefunds(sql, gateways, { ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.log ? { log: options.log } : {}) });
  const payouts = await runPayouts(sql, gateways, { ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.log ? { log: options.log } : {}) });
  const [released] = await asService(sql, (tx) => tx`select private.release_held_escrow(500) as n`);
  // What pg_cron does where it is installed: requests nobody accepted in time expire
  // (and notify), and reviews whose blind window has passed are published into ratings.
  const [housekeeping] = await asService(sql, (tx) => tx`
    select private.expire_booking_requests() as expired, private.publish_due_reviews() as published`);
  let notified = 0;
  for (let sent = -1; sent !== 0 && notified < 20_000; notified += sent) sent = await sendNotices(sql, options.log, 1_000);
  let bookingEvents = 0;
  for (let sent = -1; sent !== 0 && bookingEvents < 20_000; bookingEvents += sent) sent = await sendBookingNotices(sql, options.log, 1_000);
  return {
    payments,
    refunds,
    payouts,
    escrowReleased: toNumber(released!.n),
    requestsExpired: toNumber(housekeeping!.expired),
    reviewsPublished: toNumber(housekeeping!.published),
    notified,
    bookingEvents,
  };
}

// What to do with a gateway's report about a payment we hold, as a pure function, so
// the SQL settlement and the poller decide the same way: duplicates and stale
// (out-of-order) reports are no-ops, mismatched amounts are refused, and late
// successes are never dropped (money moved; someone must refund or fulfil).
import type { PaymentSnapshot, PaymentStatus } from './types.ts';

/** Our own record of the payment. */
export interface PaymentRecord {
  amountMinor: number;
  currency: string;
  status: PaymentStatus;
  /** The gateway transaction id we settled on, once we have one. */
  gatewayTransactionId: string | null;
}

export type Decision =
  | { action: 'apply'; status: PaymentStatus; gatewayTransactionId: string | null; late: boolean }
  | { action: 'ignore'; reason: 'duplicate' | 'stale' | 'still_pending' }
  | {
      action: 'reject';
      reason: 'amount_mismatch' | 'currency_mismatch' | 'other_transaction';
    };

export function decide(record: PaymentRecord, report: PaymentSnapshot): Decision {
  if (report.currency !== record.currency) return { action: 'reject', reason: 'currency_mismatch' };
  if (report.amountMinor !== record.amountMinor) return { action: 'reject', reason: 'amount_mismatch' };

  const apply = (late = false): Decision => ({
    action: 'apply',
    status: report.status,
    gatewayTransactionId: report.gatewayTransactionId ?? record.gatewayTransactionId,
    late,
  });

  // A second, different successful transaction for the same payment (the customer
  // paid twice): never fold it into the first; it needs a refund.
  if (
    report.status === 'succeeded' &&
    record.gatewayTransactionId !== null &&
    report.gatewayTransactionId !== null &&
    record.gatewayTransactionId !== report.gatewayTransactionId &&
    (record.status === 'succeeded' || record.status === 'partially_refunded' || record.status === 'refunded')
  ) {
    return { action: 'reject', reason: 'other_transaction' };
  }
  if (report.status === 'pending') {
    return { action: 'ignore', reason: record.status === 'pending' ? 'still_pending' : 'stale' };
  }
  if (report.status === record.status) return { action: 'ignore', reason: 'duplicate' };

  switch (record.status) {
    case 'pending':
      return apply();
    case 'succeeded':
      // A failure report after a settled success is older than the success.
      return report.status === 'refunded' || report.status === 'partially_refunded' ? apply() : stale();
    case 'partially_refunded':
      return report.status === 'refunded' ? apply() : stale();
    case 'refunded':
      return stale();
    case 'failed':
    case 'expired':
    case 'cancelled':
      // Money arrived after we gave up on it: apply, flagged, so someone fulfils or
      // refunds. Other reports about a closed failure change nothing.
      return report.status === 'succeeded' ? apply(true) : stale();
  }
}

function stale(): Decision {
  return { action: 'ignore', reason: 'stale' };
}

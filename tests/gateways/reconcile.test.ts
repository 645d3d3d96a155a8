import { describe, expect, it } from 'vitest';
import { decide, type PaymentRecord } from '../../src/gateways/reconcile.ts';
import type { PaymentSnapshot, PaymentStatus } from '../../src/gateways/types.ts';

function record(status: PaymentStatus, overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return { amountMinor: 1500, currency: 'GHS', status, gatewayTransactionId: status === 'pending' ? null : 'tx-1', ...overrides };
}

function report(status: PaymentStatus, overrides: Partial<PaymentSnapshot> = {}): PaymentSnapshot {
  return { gateway: 'fake', reference: 'ref', status, amountMinor: 1500, currency: 'GHS', gatewayTransactionId: 'tx-1', ...overrides };
}

describe('deciding what a gateway report means for our payment', () => {
  it('settles a pending payment on a matching success', () => {
    expect(decide(record('pending'), report('succeeded'))).toEqual({ action: 'apply', status: 'succeeded', gatewayTransactionId: 'tx-1', late: false });
  });

  it('treats a repeated success (duplicate callback) as a no-op', () => {
    expect(decide(record('succeeded'), report('succeeded'))).toEqual({ action: 'ignore', reason: 'duplicate' });
  });

  it('ignores a failure that arrives after the success (out of order)', () => {
    expect(decide(record('succeeded'), report('failed'))).toEqual({ action: 'ignore', reason: 'stale' });
    expect(decide(record('succeeded'), report('pending'))).toEqual({ action: 'ignore', reason: 'stale' });
  });

  it('applies a success that arrives after we gave up, flagged late', () => {
    for (const closed of ['failed', 'expired', 'cancelled'] as const) {
      expect(decide(record(closed, { gatewayTransactionId: null }), report('succeeded'))).toMatchObject({ action: 'apply', status: 'succeeded', late: true });
    }
  });

  it('refuses a wrong amount or currency whatever the status', () => {
    expect(decide(record('pending'), report('succeeded', { amountMinor: 1499 }))).toEqual({ action: 'reject', reason: 'amount_mismatch' });
    expect(decide(record('pending'), report('succeeded', { currency: 'NGN' }))).toEqual({ action: 'reject', reason: 'currency_mismatch' });
  });

  it('refuses to fold a second, different successful transaction into a settled payment', () => {
    expect(decide(record('succeeded'), report('succeeded', { gatewayTransactionId: 'tx-2' }))).toEqual({ action: 'reject', reason: 'other_transaction' });
  });

  it('keeps waiting on pending reports and moves refunds forward only', () => {
    expect(decide(record('pending'), report('pending'))).toEqual({ action: 'ignore', reason: 'still_pending' });
    expect(decide(record('succeeded'), report('partially_refunded'))).toMatchObject({ action: 'apply', status: 'partially_refunded' });
    expect(decide(record('partially_refunded'), report('refunded'))).toMatchObject({ action: 'apply', status: 'refunded' });
    expect(decide(record('refunded'), report('succeeded'))).toEqual({ action: 'ignore', reason: 'stale' });
  });
});

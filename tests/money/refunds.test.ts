import { describe, expect, it } from 'vitest';
import { FakeGateway } from '../../src/gateways/fake.ts';
import { GatewayRejectedError } from '../../src/gateways/errors.ts';
import type { PaymentGateway } from '../../src/gateways/types.ts';
import { gatewaysOf } from '../../src/payments/gateways.ts';
import { runRefunds } from '../../src/payments/reconcile.ts';
import { asUser, createUser, db, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { balance, deal, entryLines, paidBooking, paymentRow, startPayment } from './helpers.ts';

const SECRET = 'whsec_dGVzdC1zZWNyZXQtZm9yLXJlZnVuZHM=';

async function refund(tx: Tx, admin: TestUser, paymentId: string, amount: number, destination = 'gateway', reason: string | null = 'Goodwill') {
  const [row] = await asUser(tx, admin, (q) => q`
    select * from public.refund_payment(${paymentId}, ${amount}, ${destination}::public.refund_destination, ${reason})`);
  return row!;
}

describe('admin refunds', () => {
  it('an admin refunds part, then the rest; never more than captured', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const paid = await paidBooking(tx, { priceMinor: 10_000 });
      const first = await refund(tx, admin, paid.payment.id, 4_000);
      expect(first).toMatchObject({ status: 'pending', destination: 'gateway', origin: 'admin', requested_by: admin.id });
      expect(await paymentRow(tx, paid.payment.id)).toMatchObject({ status: 'partially_refunded', refunded_minor: 4_000n });
      await expect(refund(tx, admin, paid.payment.id, 6_001)).rejects.toMatchObject({ code: '22023', hint: 'refund_exceeds_captured' });
      await refund(tx, admin, paid.payment.id, 6_000, 'wallet');
      expect(await paymentRow(tx, paid.payment.id)).toMatchObject({ status: 'refunded', refunded_minor: 10_000n });
      expect(await balance(tx, 'escrow', { subject: paid.booking.id })).toBe(0);
      expect(await entryLines(tx, `refund:${first.id}:issued`)).toEqual([
        { kind: 'escrow', gateway: null, owner: null, amount: 4_000 },
        { kind: 'gateway_clearing', gateway: 'fake', owner: null, amount: -4_000 },
      ]);
      expect(await balance(tx, 'customer_wallet', { owner: paid.customer.id })).toBe(6_000);
      await expect(refund(tx, admin, paid.payment.id, 1)).rejects.toMatchObject({ hint: 'refund_exceeds_captured' });
    });
  });

  it('is audited with the admin’s reason, and a reason is required', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const paid = await paidBooking(tx);
      await expect(refund(tx, admin, paid.payment.id, 100, 'wallet', null)).rejects.toMatchObject({ hint: 'reason_required' });
      const made = await refund(tx, admin, paid.payment.id, 100, 'wallet', 'Late arrival');
      const [audit] = await tx`select actor_id, reason, action from public.audit_log where table_name = 'public.refunds' and record_id = ${made.id}`;
      expect(audit).toEqual({ actor_id: admin.id, reason: 'Late arrival', action: 'refunds.insert' });
    });
  });

  it('customers and providers cannot refund', async () => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx);
      for (const user of [paid.customer, paid.provider]) {
        await expect(refund(tx, user, paid.payment.id, 100)).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
      }
    });
  });

  it('a payment that never succeeded cannot be refunded', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const d = await deal(tx);
      const pending = await startPayment(tx, d.customer, d.booking.id);
      await expect(refund(tx, admin, pending.id, 100)).rejects.toMatchObject({ hint: 'payment_not_refundable' });
    });
  });
});

describe('the refund worker', () => {
  async function bookedRefund(amount = 2_500) {
    const admin = await createUser(db(), { roles: ['admin'] });
    const paid = await paidBooking(db(), { priceMinor: 10_000 });
    const [made] = await asUser(db(), admin, (q) => q`
      select id from public.refund_payment(${paid.payment.id}, ${amount}, 'gateway', 'Worker test')`);
    return { paid, refundId: String(made!.id) };
  }

  it('sends a booked gateway refund and marks it succeeded', async () => {
    const { refundId } = await bookedRefund();
    const gateway = new FakeGateway({ seed: 'refunds', successRate: 1, signingSecret: SECRET });
    const round = await runRefunds(db(), gatewaysOf([gateway]), { only: refundId });
    expect(round).toMatchObject({ sent: 1, succeeded: 1 });
    const [row] = await db()`select status, gateway_refund_id from public.refunds where id = ${refundId}`;
    expect(row!.status).toBe('succeeded');
    expect(row!.gateway_refund_id).toMatch(/^fake_refund_/);
    // A second round does nothing more.
    expect(await runRefunds(db(), gatewaysOf([gateway]), { only: refundId })).toMatchObject({ sent: 0 });
  });

  it('a refund the gateway refuses reaches the customer as wallet credit', async () => {
    const { paid, refundId } = await bookedRefund(3_000);
    const refusing = new FakeGateway({ seed: 'refunds', successRate: 1, signingSecret: SECRET });
    refusing.refund = async () => {
      throw new GatewayRejectedError('The payment provider refused the request.', { gateway: 'fake', operation: 'refund' });
    };
    const round = await runRefunds(db(), gatewaysOf([refusing as PaymentGateway]), { only: refundId });
    expect(round).toMatchObject({ toWallet: 1 });
    const [row] = await db()`select status, destination, gateway from public.refunds where id = ${refundId}`;
    expect(row).toEqual({ status: 'succeeded', destination: 'wallet', gateway: null });
    expect(await balance(db(), 'customer_wallet', { owner: paid.customer.id })).toBe(3_000);
    expect(await paymentRow(db(), paid.payment.id)).toMatchObject({ refunded_minor: 3_000n, status: 'partially_refunded' });
  });

  it('a gateway that does not answer leaves the refund to try again', async () => {
    const { refundId } = await bookedRefund(1_000);
    const silent = new FakeGateway({ seed: 'refunds', successRate: 1, signingSecret: SECRET });
    silent.refund = async () => {
      throw new Error('socket hang up');
    };
    expect(await runRefunds(db(), gatewaysOf([silent as PaymentGateway]), { only: refundId })).toMatchObject({ errors: 1 });
    const [row] = await db()`select status, attempts, next_attempt_at > now() as later from public.refunds where id = ${refundId}`;
    expect(row).toEqual({ status: 'pending', attempts: 1, later: true });
  });
});

import { describe, expect, it } from 'vitest';
import { asService, asUser, createUser, rollback, type Tx } from '../harness/db.ts';
import { transition } from '../harness/services.ts';
import { balance, bookingRow, deal, noticesFor, paidBooking, paymentRow, settle, startPayment, type Deal, type Payment } from './helpers.ts';

/** A start `hours` from now, on the hour. */
function hoursAhead(hours: number): Date {
  const d = new Date(Date.now() + hours * 3_600_000);
  d.setUTCMinutes(0, 0, 0);
  return new Date(d.getTime() + 3_600_000);
}

async function refundsOf(tx: Tx, paymentId: string) {
  return tx`select amount_minor, origin, destination, status from public.refunds where payment_id = ${paymentId} order by created_at`;
}

async function openDispute(tx: Tx, d: Deal, by: 'customer' | 'provider' = 'customer'): Promise<string> {
  const [row] = await asUser(tx, by === 'customer' ? d.customer : d.provider, (q) => q`
    select id from public.open_dispute(${d.booking.id}, 'Not what was agreed')`);
  return row!.id as string;
}

async function resolve(tx: Tx, disputeId: string, outcome: string, refund: number | null) {
  const admin = await createUser(tx, { roles: ['admin'] });
  await asUser(tx, admin, (q) => q`select public.resolve_dispute(${disputeId}, ${outcome}::public.dispute_outcome, ${refund}, 'Decided')`);
}

describe('escrow release', () => {
  it('completing the booking releases the price less commission to the provider and the commission to the platform', async () => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx, { priceMinor: 10_000, status: 'in_progress' });
      const revenueBefore = await balance(tx, 'platform_revenue');
      await transition(tx, paid.provider, paid.booking.id, 'completed');
      expect(await balance(tx, 'escrow', { subject: paid.booking.id })).toBe(0);
      expect(await balance(tx, 'provider_earnings', { owner: paid.provider.id })).toBe(9_000);
      expect(await balance(tx, 'platform_revenue')).toBe(revenueBefore + 1_000);
      expect((await paymentRow(tx, paid.payment.id)).released_at).not.toBeNull();
      const note = (await noticesFor(tx, paid.provider.id)).find((n) => n.template_key === 'earnings.released');
      expect(note!.params).toMatchObject({ amount: '90.00 GHS', amount_minor: 9_000 });
    });
  });

  it('a market hold keeps the money in escrow after completion until the hold has passed', async () => {
    await rollback(async (tx) => {
      await tx`select private.payment_settings_for('gh')`;
      await tx`update public.payment_settings set release_hold = interval '3 days' where market_code = 'gh'`;
      const paid = await paidBooking(tx, { priceMinor: 10_000, status: 'in_progress' });
      await transition(tx, paid.provider, paid.booking.id, 'completed');
      expect(await balance(tx, 'escrow', { subject: paid.booking.id })).toBe(10_000);
      await asService(tx, (q) => q`select private.release_held_escrow()`);
      expect(await balance(tx, 'escrow', { subject: paid.booking.id })).toBe(10_000);
      await tx`update public.bookings set completed_at = now() - interval '3 days 1 minute' where id = ${paid.booking.id}`;
      const [released] = await asService(tx, (q) => q`select private.release_held_escrow() as n`);
      expect(released!.n).toBeGreaterThanOrEqual(1);
      expect(await balance(tx, 'escrow', { subject: paid.booking.id })).toBe(0);
      expect(await balance(tx, 'provider_earnings', { owner: paid.provider.id })).toBe(9_000);
    });
  });

  it('a payment that settles after completion is released at once', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 5_000, status: 'in_progress' });
      const started = await startPayment(tx, d.customer, d.booking.id);
      await transition(tx, d.provider, d.booking.id, 'completed');
      await settle(tx, started, { status: 'succeeded', amount: 5_000 });
      expect(await balance(tx, 'provider_earnings', { owner: d.provider.id })).toBe(4_500);
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(0);
    });
  });
});

describe('cancellation refunds follow the market’s policy', () => {
  it.each([
    ['72 hours', 72, 10_000, 0],
    ['36 hours', 36, 5_000, 4_500],
    ['6 hours', 6, 0, 9_000],
  ])('a customer who cancels %s ahead gets the tier back; the provider keeps the rest less commission', async (_, hours, refunded, earned) => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx, { priceMinor: 10_000, status: 'accepted', startsAt: hoursAhead(hours) });
      await transition(tx, paid.customer, paid.booking.id, 'cancelled_by_customer');
      const payment = await paymentRow(tx, paid.payment.id);
      expect(payment.refunded_minor).toBe(BigInt(refunded));
      expect(await balance(tx, 'escrow', { subject: paid.booking.id })).toBe(0);
      expect(await balance(tx, 'provider_earnings', { owner: paid.provider.id })).toBe(earned);
      if (refunded > 0) {
        expect(await refundsOf(tx, paid.payment.id)).toEqual([
          { amount_minor: BigInt(refunded), origin: 'cancellation', destination: 'gateway', status: 'pending' },
        ]);
      }
      expect((await bookingRow(tx, paid.booking.id)).payment_status).toBe(
        refunded === 10_000 ? 'refunded' : refunded > 0 ? 'partially_refunded' : 'paid',
      );
    });
  });

  it('a provider’s cancellation refunds everything', async () => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx, { priceMinor: 8_000, status: 'accepted', startsAt: hoursAhead(5) });
      await transition(tx, paid.provider, paid.booking.id, 'cancelled_by_provider', 'Sick');
      expect(await paymentRow(tx, paid.payment.id)).toMatchObject({ status: 'refunded', refunded_minor: 8_000n });
      expect(await balance(tx, 'provider_earnings', { owner: paid.provider.id })).toBe(0);
    });
  });

  it('a payment still pending when the booking is cancelled is cancelled; if it succeeds later it all goes back', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 6_000, status: 'accepted', startsAt: hoursAhead(5) });
      const started = await startPayment(tx, d.customer, d.booking.id);
      await transition(tx, d.customer, d.booking.id, 'cancelled_by_customer');
      expect((await paymentRow(tx, started.id)).status).toBe('cancelled');
      await settle(tx, started, { status: 'succeeded', amount: 6_000 });
      expect(await paymentRow(tx, started.id)).toMatchObject({ status: 'refunded', late: true, refunded_minor: 6_000n });
      expect(await refundsOf(tx, started.id)).toEqual([{ amount_minor: 6_000n, origin: 'late', destination: 'gateway', status: 'pending' }]);
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(0);
    });
  });

  it('a refund on a gateway that cannot refund goes to the customer’s wallet', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { market: 'uz', priceMinor: 500_000, status: 'accepted', startsAt: hoursAhead(80) });
      const started = await startPayment(tx, d.customer, d.booking.id, 'gateway', 'payme');
      await settle(tx, started, { status: 'succeeded', amount: 500_000, currency: 'UZS' });
      await transition(tx, d.customer, d.booking.id, 'cancelled_by_customer');
      expect(await refundsOf(tx, started.id)).toEqual([{ amount_minor: 500_000n, origin: 'cancellation', destination: 'wallet', status: 'succeeded' }]);
      expect(await balance(tx, 'customer_wallet', { owner: d.customer.id }, 'UZS')).toBe(500_000);
    });
  });
});

describe('dispute resolutions move the money', () => {
  async function disputed(tx: Tx, price = 10_000): Promise<Deal & { payment: Payment; disputeId: string }> {
    const paid = await paidBooking(tx, { priceMinor: price, status: 'in_progress' });
    return { ...paid, disputeId: await openDispute(tx, paid) };
  }

  it('release to provider: the whole escrow less commission', async () => {
    await rollback(async (tx) => {
      const d = await disputed(tx);
      await resolve(tx, d.disputeId, 'release_to_provider', 0);
      expect(await balance(tx, 'provider_earnings', { owner: d.provider.id })).toBe(9_000);
      expect(await refundsOf(tx, d.payment.id)).toEqual([]);
    });
  });

  it('partial refund: the amount goes back, the rest is released with the commission on what was kept', async () => {
    await rollback(async (tx) => {
      const d = await disputed(tx);
      const revenue = await balance(tx, 'platform_revenue');
      await resolve(tx, d.disputeId, 'partial_refund', 3_000);
      expect(await refundsOf(tx, d.payment.id)).toEqual([{ amount_minor: 3_000n, origin: 'dispute', destination: 'gateway', status: 'pending' }]);
      expect(await balance(tx, 'provider_earnings', { owner: d.provider.id })).toBe(6_300);
      expect(await balance(tx, 'platform_revenue')).toBe(revenue + 700);
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(0);
    });
  });

  it('full refund: everything goes back, nothing is released', async () => {
    await rollback(async (tx) => {
      const d = await disputed(tx);
      await resolve(tx, d.disputeId, 'full_refund', null);
      expect(await paymentRow(tx, d.payment.id)).toMatchObject({ status: 'refunded', refunded_minor: 10_000n });
      expect(await balance(tx, 'provider_earnings', { owner: d.provider.id })).toBe(0);
    });
  });

  it('after release, a refund is taken back from the provider’s earnings, and what they already withdrew becomes their debt', async () => {
    await rollback(async (tx) => {
      await tx`select private.payment_settings_for('gh')`;
      await tx`update public.payment_settings set payout_rail = 'fake' where market_code = 'gh'`;
      const paid = await paidBooking(tx, { priceMinor: 10_000, status: 'in_progress' });
      await transition(tx, paid.provider, paid.booking.id, 'completed');
      expect(await balance(tx, 'provider_earnings', { owner: paid.provider.id })).toBe(9_000);
      // The provider withdraws 6,000 of the 9,000.
      await asUser(tx, paid.provider, (q) => q`select public.request_payout(6000, null, 'withdraw-0001')`);
      const disputeId = await openDispute(tx, paid);
      const revenue = await balance(tx, 'platform_revenue');
      await resolve(tx, disputeId, 'full_refund', null);
      // 9,000 of the refund is the provider's share: 3,000 from earnings, 6,000 owed.
      expect(await balance(tx, 'provider_earnings', { owner: paid.provider.id })).toBe(0);
      expect(await balance(tx, 'commission_receivable', { owner: paid.provider.id })).toBe(6_000);
      expect(await balance(tx, 'platform_revenue')).toBe(revenue - 1_000);
      expect(await paymentRow(tx, paid.payment.id)).toMatchObject({ status: 'refunded', refunded_minor: 10_000n });
    });
  });
});

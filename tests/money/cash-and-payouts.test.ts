import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakePayoutRail, runPayouts, type PayoutRail } from '../../src/payments/payouts.ts';
import { gatewaysOf } from '../../src/payments/gateways.ts';
import { asUser, createUser, db, rollback, type TestUser, type Queryable } from '../harness/db.ts';
import { createProvider, transition } from '../harness/services.ts';
import { balance, bookingRow, deal, entryLines, noticesFor, paidBooking, paymentRow } from './helpers.ts';

async function confirmCash(q: Queryable, user: TestUser, bookingId: string) {
  const [row] = await asUser(q, user, (tx) => tx`select * from public.confirm_cash_payment(${bookingId})`);
  return row!;
}

async function requestPayout(q: Queryable, provider: TestUser, amount: number, phone: string | null = null, key = randomUUID()) {
  const [row] = await asUser(q, provider, (tx) => tx`select * from public.request_payout(${amount}, ${phone}, ${key})`);
  return row!;
}

async function balances(q: Queryable, user: TestUser) {
  const [row] = await asUser(q, user, (tx) => tx`select * from public.my_balances() where currency = 'GHS'`);
  return row;
}

/**
 * A provider with released earnings (a paid, completed booking). Committed fixtures use
 * Uzbekistan (UZS) so they never move the GHS accounts other test files read exactly.
 */
async function earner(q: Queryable, price = 10_000) {
  const market = 'savepoint' in q ? 'gh' : 'uz';
  const paid = await paidBooking(q, { priceMinor: price, status: 'in_progress', market });
  await transition(q, paid.provider, paid.booking.id, 'completed');
  return paid;
}

async function useFakeRail(q: Queryable) {
  await q`select private.payment_settings_for('gh')`;
  await q`update public.payment_settings set payout_rail = 'fake' where market_code = 'gh'`;
}

describe('cash', () => {
  it('the provider confirms cash; the commission becomes their debt; the booking is paid', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 20_000, status: 'in_progress' });
      const payment = await confirmCash(tx, d.provider, d.booking.id);
      expect(payment).toMatchObject({ method: 'cash', status: 'succeeded', commission_minor: 2_000n, payer_id: d.customer.id });
      expect(await balance(tx, 'commission_receivable', { owner: d.provider.id })).toBe(2_000);
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(0);
      expect((await bookingRow(tx, d.booking.id)).payment_status).toBe('paid');
      // Confirming twice returns the same payment.
      expect((await confirmCash(tx, d.provider, d.booking.id)).id).toBe(payment.id);
      // Completion moves no money: the provider already holds it.
      await transition(tx, d.provider, d.booking.id, 'completed');
      expect(await balance(tx, 'provider_earnings', { owner: d.provider.id })).toBe(0);
    });
  });

  it('only the booking’s provider confirms cash', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { status: 'accepted' });
      const other = await createProvider(tx);
      await expect(confirmCash(tx, d.customer, d.booking.id)).rejects.toMatchObject({ code: '42501', hint: 'provider_role_required_for_cash' });
      await expect(confirmCash(tx, other, d.booking.id)).rejects.toMatchObject({ hint: 'booking_not_found' });
    });
  });

  it('a cash booking refunded in a dispute credits the customer’s wallet and charges the provider', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 10_000, status: 'in_progress' });
      await confirmCash(tx, d.provider, d.booking.id);
      const [dispute] = await asUser(tx, d.customer, (q) => q`select id from public.open_dispute(${d.booking.id}, 'Did not finish')`);
      const admin = await createUser(tx, { roles: ['admin'] });
      await asUser(tx, admin, (q) => q`select public.resolve_dispute(${dispute!.id}, 'partial_refund', 4000, 'Half done')`);
      expect(await balance(tx, 'customer_wallet', { owner: d.customer.id })).toBe(4_000);
      // The provider holds the 10,000: they owe the 1,000 commission plus the 4,000 we credited,
      // less the 400 commission on what was refunded.
      expect(await balance(tx, 'commission_receivable', { owner: d.provider.id })).toBe(1_000 + 4_000 - 400);
    });
  });
});

describe('payouts', () => {
  it('a provider withdraws available earnings; the money waits in payout clearing until sent', async () => {
    await rollback(async (tx) => {
      await useFakeRail(tx);
      const paid = await earner(tx);
      expect(await balances(tx, paid.provider)).toMatchObject({ earnings_minor: 9_000n, available_minor: 9_000n });
      const payout = await requestPayout(tx, paid.provider, 5_000, '+233241234567');
      expect(payout).toMatchObject({ status: 'pending', amount_minor: 5_000n, phone: '233241234567', rail: 'fake', debt_settled_minor: 0n });
      expect(await balances(tx, paid.provider)).toMatchObject({ earnings_minor: 4_000n, in_flight_minor: 5_000n, available_minor: 4_000n });
      await expect(requestPayout(tx, paid.provider, 4_001)).rejects.toMatchObject({ hint: 'insufficient_funds' });
      await expect(requestPayout(tx, paid.provider, 50)).rejects.toMatchObject({ hint: 'payout_below_minimum' });
    });
  });

  it('commission owed on cash jobs is netted against the payout', async () => {
    await rollback(async (tx) => {
      await useFakeRail(tx);
      const paid = await earner(tx, 10_000);
      const cashJob = await deal(tx, { provider: paid.provider, priceMinor: 30_000, status: 'accepted' });
      await confirmCash(tx, paid.provider, cashJob.booking.id);
      // Earnings 9,000, debt 3,000: 6,000 available.
      expect(await balances(tx, paid.provider)).toMatchObject({ available_minor: 6_000n, receivable_minor: 3_000n });
      await expect(requestPayout(tx, paid.provider, 6_001)).rejects.toMatchObject({ hint: 'insufficient_funds' });
      const payout = await requestPayout(tx, paid.provider, 6_000);
      expect(payout.debt_settled_minor).toBe(3_000n);
      expect(await balances(tx, paid.provider)).toMatchObject({ earnings_minor: 0n, receivable_minor: 0n, in_flight_minor: 6_000n });
    });
  });

  it('only providers withdraw, and a retry with the same key returns the same payout', async () => {
    await rollback(async (tx) => {
      await useFakeRail(tx);
      const paid = await earner(tx);
      await expect(requestPayout(tx, paid.customer, 100)).rejects.toMatchObject({ hint: 'provider_role_required' });
      const key = randomUUID();
      const first = await requestPayout(tx, paid.provider, 1_000, null, key);
      const again = await requestPayout(tx, paid.provider, 1_000, null, key);
      expect(again.id).toBe(first.id);
      expect(await balance(tx, 'payout_clearing', { owner: paid.provider.id })).toBe(1_000);
    });
  });

  it('a provider sees their own payouts only', async () => {
    await rollback(async (tx) => {
      await useFakeRail(tx);
      const paid = await earner(tx);
      const payout = await requestPayout(tx, paid.provider, 1_000);
      const other = await createProvider(tx);
      expect(await asUser(tx, other, (q) => q`select id from public.payouts where id = ${payout.id}`)).toEqual([]);
      expect(await asUser(tx, paid.provider, (q) => q`select id from public.payouts where id = ${payout.id}`)).toHaveLength(1);
      await expect(asUser(tx, paid.provider, (q) => q`update public.payouts set status = 'succeeded' where id = ${payout.id}`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('the worker sends it: success empties payout clearing into the rail’s clearing account', async () => {
    const paid = await earner(db());
    await db()`select private.payment_settings_for('gh')`;
    const [payout] = await asUser(db(), paid.provider, (q) => q`select * from public.request_payout(4000, '+998901234567', ${randomUUID()})`);
    await db()`update public.payouts set rail = 'fake' where id = ${payout!.id}`;
    const round = await runPayouts(db(), gatewaysOf([], [new FakePayoutRail()]), { only: String(payout!.id) });
    expect(round).toMatchObject({ sent: 1, succeeded: 1 });
    const [row] = await db()`select status, completed_at is not null as done from public.payouts where id = ${payout!.id}`;
    expect(row).toEqual({ status: 'succeeded', done: true });
    expect(await balance(db(), 'payout_clearing', { owner: paid.provider.id }, 'UZS')).toBe(0);
    expect(await entryLines(db(), `payout:${payout!.id}:succeeded`)).toEqual([
      { kind: 'gateway_clearing', gateway: 'fake', owner: null, amount: -4_000 },
      { kind: 'payout_clearing', gateway: null, owner: paid.provider.id, amount: 4_000 },
    ]);
  });

  it('a failed transfer puts the money back into the provider’s earnings', async () => {
    const paid = await earner(db());
    const [payout] = await asUser(db(), paid.provider, (q) => q`select * from public.request_payout(4000, '+998900000000', ${randomUUID()})`);
    await db()`update public.payouts set rail = 'fake' where id = ${payout!.id}`;
    const round = await runPayouts(db(), gatewaysOf([], [new FakePayoutRail()]), { only: String(payout!.id) });
    expect(round).toMatchObject({ failed: 1 });
    const [row] = await db()`select status, failure_reason from public.payouts where id = ${payout!.id}`;
    expect(row).toEqual({ status: 'failed', failure_reason: 'PAYEE_NOT_FOUND' });
    expect(await balance(db(), 'provider_earnings', { owner: paid.provider.id }, 'UZS')).toBe(9_000);
    expect(await balance(db(), 'payout_clearing', { owner: paid.provider.id }, 'UZS')).toBe(0);
    const note = (await noticesFor(db(), paid.provider.id)).find((n) => n.template_key === 'payout.failed');
    expect(note!.critical).toBe(true);
  });

  it('a rail still processing is checked again later; a late repeat of the outcome changes nothing', async () => {
    const paid = await earner(db());
    const [payout] = await asUser(db(), paid.provider, (q) => q`select * from public.request_payout(2000, null, ${randomUUID()})`);
    await db()`update public.payouts set rail = 'fake' where id = ${payout!.id}`;
    let answer: 'pending' | 'succeeded' = 'pending';
    const slow: PayoutRail = {
      id: 'fake',
      transfer: async (r) => ({ status: 'pending', reference: r.payoutId }),
      status: async (reference) => ({ status: answer, reference }),
    };
    expect(await runPayouts(db(), gatewaysOf([], [slow]), { only: String(payout!.id) })).toMatchObject({ sent: 1, pending: 1 });
    const [processing] = await db()`select status from public.payouts where id = ${payout!.id}`;
    expect(processing!.status).toBe('processing');
    answer = 'succeeded';
    expect(await runPayouts(db(), gatewaysOf([], [slow]), { only: String(payout!.id) })).toMatchObject({ succeeded: 1 });
    await db()`select private.complete_payout(${payout!.id}, 'failed', null, 'late')`;
    const [row] = await db()`select status from public.payouts where id = ${payout!.id}`;
    expect(row!.status).toBe('succeeded');
    expect(await balance(db(), 'payout_clearing', { owner: paid.provider.id }, 'UZS')).toBe(0);
  });

  it('concurrent withdrawals never take out more than is available', async () => {
    const paid = await earner(db(), 10_000);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => asUser(db(), paid.provider, (q) => q`select id from public.request_payout(2000, null, ${randomUUID()})`)),
    );
    const made = results.filter((r) => r.status === 'fulfilled');
    expect(made).toHaveLength(4);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ hint: 'insufficient_funds' });
    expect(await balance(db(), 'provider_earnings', { owner: paid.provider.id }, 'UZS')).toBe(1_000);
    expect((await paymentRow(db(), paid.payment.id)).status).toBe('succeeded');
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/gateways/reconcile.ts';
import type { PaymentStatus } from '../../src/gateways/types.ts';
import { asAnon, asService, asUser, createUser, db, rollback, type Tx } from '../harness/db.ts';
import { createCategory, createCustomer } from '../harness/services.ts';
import { balance, bookingRow, callback, deal, entriesFor, entryLines, noticesFor, paidBooking, paymentRow, settle, startPayment, topUpWallet } from './helpers.ts';

async function snapshotOf(tx: Tx, paymentId: string) {
  const [state] = await tx`
    select (select to_jsonb(p) - 'updated_at' - 'checked_at' from public.payments p where p.id = ${paymentId}) as payment,
           (select count(*)::int from public.journal_entries where reference @> ${JSON.stringify({ payment_id: paymentId })}::text::jsonb) as entries,
           (select coalesce(sum(a.balance_minor), 0)::text from public.payments p
              join public.ledger_accounts a on a.kind = 'escrow' and a.subject_id = p.booking_id where p.id = ${paymentId}) as escrow`;
  return state;
}

describe('starting a payment', () => {
  it('a customer starts a gateway payment for their booking; the amount and currency come from the booking', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 12_345 });
      const payment = await startPayment(tx, d.customer, d.booking.id);
      expect(payment).toMatchObject({ status: 'pending', method: 'gateway', gateway: 'fake', currency: 'GHS', reference: payment.id });
      expect(payment.amount_minor).toBe(12_345n);
      const [window] = await tx`select expires_at - created_at as window from public.payments where id = ${payment.id}`;
      expect(window!.window).toBe('00:10:00');
      expect((await bookingRow(tx, d.booking.id)).payment_status).toBe('pending');
    });
  });

  it('a retry with the same idempotency key returns the same payment', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const key = randomUUID();
      const first = await startPayment(tx, d.customer, d.booking.id, 'gateway', 'fake', key);
      const again = await startPayment(tx, d.customer, d.booking.id, 'gateway', 'fake', key);
      expect(again.id).toBe(first.id);
    });
  });

  it('a pending payment holds the booking: a second one is refused until the approval window has passed', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const first = await startPayment(tx, d.customer, d.booking.id);
      await expect(startPayment(tx, d.customer, d.booking.id)).rejects.toMatchObject({ code: 'PT409', hint: 'payment_in_progress' });
      await tx`update public.payments set expires_at = now() - interval '1 second' where id = ${first.id}`;
      const second = await startPayment(tx, d.customer, d.booking.id);
      expect(second.id).not.toBe(first.id);
      expect((await paymentRow(tx, first.id)).status).toBe('expired');
    });
  });

  it('the hold keeps a requested booking from expiring before the customer could approve', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      await tx`update public.bookings set expires_at = now() + interval '1 minute' where id = ${d.booking.id}`;
      const payment = await startPayment(tx, d.customer, d.booking.id);
      const [row] = await tx`select b.expires_at >= p.expires_at as held from public.bookings b, public.payments p
                             where b.id = ${d.booking.id} and p.id = ${payment.id}`;
      expect(row!.held).toBe(true);
    });
  });

  it.each([
    ['another customer', 'stranger', 'booking_not_found'],
    ['the provider', 'provider', 'booking_not_found'],
  ])('%s cannot pay for the booking', async (_, who, hint) => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const stranger = await createCustomer(tx);
      const user = who === 'stranger' ? stranger : d.provider;
      await expect(startPayment(tx, user, d.booking.id)).rejects.toMatchObject({ hint });
    });
  });

  it('refuses a gateway the market does not offer, and cash started by the customer', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      await expect(startPayment(tx, d.customer, d.booking.id, 'gateway', 'payme')).rejects.toMatchObject({ hint: 'payment_method_unavailable' });
      await expect(
        asUser(tx, d.customer, (q) => q`select public.start_payment(${d.booking.id}, 'cash', null, ${randomUUID()})`),
      ).rejects.toMatchObject({ hint: 'payment_method_unavailable' });
    });
  });

  it('refuses a booking that is declined, and one that is already paid', async () => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx);
      await expect(startPayment(tx, paid.customer, paid.booking.id)).rejects.toMatchObject({ hint: 'booking_already_paid' });
      const d = await deal(tx);
      await asUser(tx, d.provider, (q) => q`select public.transition_booking(${d.booking.id}, 'declined')`);
      await expect(startPayment(tx, d.customer, d.booking.id)).rejects.toMatchObject({ hint: 'booking_not_payable' });
    });
  });

  it('pays from the wallet at once, and refuses when the wallet is short', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 5_000 });
      await expect(startPayment(tx, d.customer, d.booking.id, 'wallet')).rejects.toMatchObject({ hint: 'insufficient_funds' });
      await topUpWallet(tx, d.customer, 6_000);
      const payment = await startPayment(tx, d.customer, d.booking.id, 'wallet');
      expect(payment.status).toBe('succeeded');
      expect(await balance(tx, 'customer_wallet', { owner: d.customer.id })).toBe(1_000);
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(5_000);
      expect((await bookingRow(tx, d.booking.id)).payment_status).toBe('paid');
    });
  });
});

describe('settlement', () => {
  it('a success moves the amount into the booking’s escrow once, fixes the commission and marks the booking paid', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 10_000 });
      const started = await startPayment(tx, d.customer, d.booking.id);
      const outcome = await callback(tx, started, { status: 'succeeded', amount: 10_000 });
      expect(outcome).toMatchObject({ result: 'applied', status: 'succeeded', late: false });
      const payment = await paymentRow(tx, started.id);
      expect(payment).toMatchObject({ status: 'succeeded', captured_minor: 10_000n, commission_minor: 1_000n, commission_rate_bps: 1000 });
      expect(await entryLines(tx, `payment:${started.id}:settled`)).toEqual([
        { kind: 'escrow', gateway: null, owner: null, amount: -10_000 },
        { kind: 'gateway_clearing', gateway: 'fake', owner: null, amount: 10_000 },
      ]);
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(10_000);
      expect(await entriesFor(tx, started.id)).toEqual([{ kind: 'payment.settled', idempotency_key: `payment:${started.id}:settled` }]);
      expect((await bookingRow(tx, d.booking.id)).payment_status).toBe('paid');
      expect((await noticesFor(tx, d.customer.id)).map((n) => n.template_key)).toEqual(['payment.succeeded']);
      expect((await noticesFor(tx, d.provider.id)).map((n) => n.template_key)).toEqual(['payment.received']);
      const [inbox] = await tx`select result, payment_id, processed_at is not null as processed from public.webhook_inbox where payment_id = ${started.id}`;
      expect(inbox).toMatchObject({ result: 'applied', processed: true });
    });
  });

  it('its notifications leave the outbox through private.notify after the money transaction', async () => {
    await rollback(async (tx) => {
      // Only this test's notifications (others' stay queued once this rolls back).
      await tx`delete from private.payment_notices`;
      const paid = await paidBooking(tx, { priceMinor: 2_500 });
      const [sent] = await asService(tx, (q) => q`select private.send_payment_notices() as n`);
      expect(sent!.n).toBeGreaterThanOrEqual(2);
      const [note] = await tx`select template_key, params, collapse_key from public.notifications where user_id = ${paid.customer.id}`;
      expect(note).toMatchObject({ template_key: 'payment.succeeded', params: { amount: '25.00 GHS' }, collapse_key: `payment:${paid.payment.id}` });
      expect(await tx`select id from private.payment_notices where user_id in (${paid.customer.id}, ${paid.provider.id})`).toEqual([]);
    });
  });

  it('a duplicate callback (same event id) is a no-op; a redelivery under another id is too', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const started = await startPayment(tx, d.customer, d.booking.id);
      const event = randomUUID();
      await callback(tx, started, { status: 'succeeded', amount: started.amount_minor }, event);
      const before = await snapshotOf(tx, started.id);
      expect(await callback(tx, started, { status: 'succeeded', amount: started.amount_minor }, event)).toMatchObject({ result: 'duplicate' });
      expect(await callback(tx, started, { status: 'succeeded', amount: started.amount_minor })).toMatchObject({ result: 'duplicate' });
      expect(await settle(tx, started, { status: 'succeeded', amount: started.amount_minor })).toMatchObject({ result: 'duplicate' });
      expect(await snapshotOf(tx, started.id)).toEqual(before);
    });
  });

  it.each([
    ['failed after succeeded', 'succeeded', 'failed'],
    ['pending after succeeded', 'succeeded', 'pending'],
    ['expired after succeeded', 'succeeded', 'expired'],
    ['cancelled after failed', 'failed', 'cancelled'],
    ['pending after failed', 'failed', 'pending'],
  ])('an out-of-order report (%s) changes nothing', async (_, first, second) => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const started = await startPayment(tx, d.customer, d.booking.id);
      await callback(tx, started, { status: first, amount: started.amount_minor });
      const before = await snapshotOf(tx, started.id);
      const outcome = await callback(tx, started, { status: second, amount: started.amount_minor });
      expect(outcome.result).toBe('stale');
      expect(await snapshotOf(tx, started.id)).toEqual(before);
    });
  });

  it.each([
    ['a wrong amount', { amount: 9_999 }, 'amount_mismatch'],
    ['a wrong currency', { currency: 'UZS' }, 'currency_mismatch'],
  ])('a success with %s is refused and nothing changes', async (_, change, result) => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 10_000 });
      const started = await startPayment(tx, d.customer, d.booking.id);
      const before = await snapshotOf(tx, started.id);
      const outcome = await callback(tx, started, { status: 'succeeded', amount: 10_000, ...change });
      expect(outcome.result).toBe(result);
      expect(await snapshotOf(tx, started.id)).toEqual(before);
      const [inbox] = await tx`select result from public.webhook_inbox where payment_id = ${started.id}`;
      expect(inbox!.result).toBe(result);
    });
  });

  it('a report about an unknown reference is recorded and changes nothing', async () => {
    await rollback(async (tx) => {
      const reference = randomUUID();
      const outcome = await callback(tx, { gateway: 'fake', reference }, { status: 'succeeded', amount: 100 });
      expect(outcome.result).toBe('unknown_payment');
      const [inbox] = await tx`select result, payment_id from public.webhook_inbox where id = ${outcome.inbox_id as number}`;
      expect(inbox).toEqual({ result: 'unknown_payment', payment_id: null });
      expect(await tx`select id from public.payments where reference = ${reference}`).toEqual([]);
    });
  });

  it('a callback whose signature failed is stored as such and never applied', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const started = await startPayment(tx, d.customer, d.booking.id);
      const report = { reference: started.reference, status: 'succeeded', amount_minor: Number(started.amount_minor), currency: 'GHS' };
      const [row] = await asService(tx, (q) => q`
        select private.handle_callback('fake', null, 'forged', '{}'::jsonb, false, ${JSON.stringify(report)}::text::jsonb) as outcome`);
      expect(row!.outcome).toMatchObject({ result: 'invalid_signature' });
      expect((await paymentRow(tx, started.id)).status).toBe('pending');
      const [inbox] = await tx`select signature_valid, result, payload from public.webhook_inbox where id = ${(row!.outcome as { inbox_id: number }).inbox_id}`;
      expect(inbox).toEqual({ signature_valid: false, result: 'invalid_signature', payload: 'forged' });
    });
  });

  it('a failure marks the payment failed and the booking unpaid, with no journal entry', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const started = await startPayment(tx, d.customer, d.booking.id);
      await callback(tx, started, { status: 'failed', amount: started.amount_minor, failureReason: 'APPROVAL_REJECTED', transactionId: null });
      expect(await paymentRow(tx, started.id)).toMatchObject({ status: 'failed', failure_reason: 'APPROVAL_REJECTED', captured_minor: 0n });
      expect(await entriesFor(tx, started.id)).toEqual([]);
      expect((await bookingRow(tx, d.booking.id)).payment_status).toBe('unpaid');
    });
  });

  it('a success after we gave up is applied, flagged late, and still settles once', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx);
      const started = await startPayment(tx, d.customer, d.booking.id);
      await settle(tx, started, { status: 'expired', amount: started.amount_minor, transactionId: null });
      const outcome = await settle(tx, started, { status: 'succeeded', amount: started.amount_minor });
      expect(outcome).toMatchObject({ result: 'applied', status: 'succeeded', late: true });
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(Number(started.amount_minor));
    });
  });

  it('one gateway transaction cannot pay two payments', async () => {
    await rollback(async (tx) => {
      const a = await deal(tx);
      const b = await deal(tx);
      const pa = await startPayment(tx, a.customer, a.booking.id);
      const pb = await startPayment(tx, b.customer, b.booking.id);
      await settle(tx, pa, { status: 'succeeded', amount: pa.amount_minor, transactionId: 'shared-tx' });
      expect(await settle(tx, pb, { status: 'succeeded', amount: pb.amount_minor, transactionId: 'shared-tx' })).toMatchObject({ result: 'other_transaction' });
      expect((await paymentRow(tx, pb.id)).status).toBe('pending');
    });
  });

  it('a second payment that succeeds for a paid booking is refunded in full', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 7_000 });
      const first = await startPayment(tx, d.customer, d.booking.id);
      await tx`update public.payments set expires_at = now() - interval '1 second' where id = ${first.id}`;
      const second = await startPayment(tx, d.customer, d.booking.id);
      await settle(tx, second, { status: 'succeeded', amount: 7_000 });
      await settle(tx, first, { status: 'succeeded', amount: 7_000 });
      expect(await paymentRow(tx, first.id)).toMatchObject({ status: 'refunded', late: true, refunded_minor: 7_000n });
      const [refund] = await tx`select origin, destination, status from public.refunds where payment_id = ${first.id}`;
      expect(refund).toEqual({ origin: 'duplicate', destination: 'gateway', status: 'pending' });
      expect(await balance(tx, 'escrow', { subject: d.booking.id })).toBe(7_000);
      expect((await bookingRow(tx, d.booking.id)).payment_status).toBe('paid');
    });
  });

  const statuses: PaymentStatus[] = ['pending', 'succeeded', 'failed', 'expired', 'cancelled', 'refunded', 'partially_refunded'];
  const cases = statuses.flatMap((record) =>
    statuses.flatMap((report) =>
      [
        { amount: 100, currency: 'GHS', tx: 'a' },
        { amount: 100, currency: 'GHS', tx: 'b' },
        { amount: 99, currency: 'GHS', tx: 'a' },
        { amount: 100, currency: 'EGP', tx: 'a' },
      ].map((r) => ({ record, report, ...r })),
    ),
  );

  it(`decides every report exactly as src/gateways/reconcile.ts decide() does (${cases.length} cases)`, async () => {
    const rows = await db()`
      select c.i, private.payment_report_decision(c.record::public.payment_status, 100, 'GHS', 'a',
                                                  c.report::public.payment_status, c.amount, c.currency, c.tx) as decision
      from jsonb_to_recordset(${JSON.stringify(cases.map((c, i) => ({ i, ...c })))}::text::jsonb)
        as c (i int, record text, report text, amount bigint, currency text, tx text)
      order by c.i`;
    const expected = cases.map((c) => {
      const d = decide(
        { amountMinor: 100, currency: 'GHS', status: c.record, gatewayTransactionId: 'a' },
        { gateway: 'fake', reference: 'r', status: c.report, amountMinor: c.amount, currency: c.currency, gatewayTransactionId: c.tx },
      );
      return d.action === 'apply' ? (d.late ? 'apply_late' : 'apply') : d.reason;
    });
    expect(rows.map((r) => r.decision)).toEqual(expected);
  });
});

describe('commission', () => {
  it('uses the category’s rate (inherited by subcategories), else the market’s, else 10 %', async () => {
    await rollback(async (tx) => {
      const parent = await createCategory(tx);
      const child = await createCategory(tx, { parentId: parent });
      const other = await createCategory(tx);
      await tx`insert into public.commission_rates (market_code, category_id, rate_bps) values ('gh', ${parent}, 1500)`;
      const inherited = await paidBooking(tx, { categoryId: child, priceMinor: 10_000 });
      expect(inherited.payment).toMatchObject({ commission_rate_bps: 1500, commission_minor: 1_500n });
      const fallback = await paidBooking(tx, { categoryId: other, priceMinor: 10_001 });
      expect(fallback.payment).toMatchObject({ commission_rate_bps: 1000, commission_minor: 1_000n });
      await tx`insert into public.commission_rates (market_code, category_id, rate_bps) values ('gh', null, 800)
               on conflict on constraint commission_rates_market_category_key do update set rate_bps = 800`;
      const market = await paidBooking(tx, { categoryId: other, priceMinor: 10_000 });
      expect(market.payment).toMatchObject({ commission_rate_bps: 800, commission_minor: 800n });
    });
  });

  it('only admins change commission rates; everyone may read them', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const provider = await createUser(tx, { roles: ['provider'] });
      const category = await createCategory(tx);
      await asUser(tx, admin, (q) => q`insert into public.commission_rates (market_code, category_id, rate_bps) values ('gh', ${category}, 700)`);
      await expect(
        asUser(tx, provider, (q) => q`insert into public.commission_rates (market_code, category_id, rate_bps) values ('uz', ${category}, 0)`),
      ).rejects.toMatchObject({ code: '42501' });
      expect(await asUser(tx, provider, (q) => q`update public.commission_rates set rate_bps = 0 where category_id = ${category} returning id`)).toEqual([]);
      const seen = await asAnon(tx, (q) => q`select rate_bps from public.commission_rates where category_id = ${category}`);
      expect(seen).toEqual([{ rate_bps: 700 }]);
      const [audit] = await tx`select action from public.audit_log where table_name = 'public.commission_rates' order by id desc limit 1`;
      expect(audit!.action).toBe('commission_rates.insert');
    });
  });
});

describe('who sees payments', () => {
  it('the payer and the booking’s provider see the payment; a stranger does not; an admin does', async () => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx);
      const stranger = await createCustomer(tx);
      const admin = await createUser(tx, { roles: ['admin'] });
      const read = (user: typeof stranger) => asUser(tx, user, (q) => q`select id from public.payments where id = ${paid.payment.id}`);
      expect(await read(paid.customer)).toHaveLength(1);
      expect(await read(paid.provider)).toHaveLength(1);
      expect(await read(stranger)).toHaveLength(0);
      expect(await read(admin)).toHaveLength(1);
      const inbox = (user: typeof stranger) => asUser(tx, user, (q) => q`select id from public.webhook_inbox limit 1`);
      expect(await inbox(paid.customer)).toHaveLength(0);
      expect(await asAnon(tx, (q) => q`select id from public.payments limit 1`).catch((e) => e.code)).toBe('42501');
    });
  });

  it('nobody writes payments, refunds or the inbox directly, nor calls the settlement', async () => {
    await rollback(async (tx) => {
      const paid = await paidBooking(tx);
      const admin = await createUser(tx, { roles: ['admin'] });
      for (const user of [paid.customer, admin]) {
        await expect(asUser(tx, user, (q) => q`update public.payments set status = 'refunded' where id = ${paid.payment.id}`)).rejects.toMatchObject({ code: '42501' });
        await expect(asUser(tx, user, (q) => q`insert into public.webhook_inbox (gateway, payload) values ('fake', 'x')`)).rejects.toMatchObject({ code: '42501' });
        await expect(
          asUser(tx, user, (q) => q`select private.settle_payment('fake', ${paid.payment.reference}, 'succeeded', 1, 'GHS')`),
        ).rejects.toMatchObject({ code: '42501' });
      }
    });
  });
});

// Real connections at once: duplicate deliveries race; exactly one may credit.
describe('concurrent deliveries', () => {
  it('20 concurrent deliveries of one success (same and different event ids) credit once', async () => {
    const d = await deal(db(), { priceMinor: 4_321 });
    const started = await startPayment(db(), d.customer, d.booking.id);
    const event = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => callback(db(), started, { status: 'succeeded', amount: 4_321 }, i % 2 === 0 ? event : randomUUID())),
    );
    expect(outcomes.filter((o) => o.result === 'applied')).toHaveLength(1);
    expect(outcomes.every((o) => ['applied', 'duplicate'].includes(String(o.result)))).toBe(true);
    expect(await entriesFor(db(), started.id)).toHaveLength(1);
    expect(await balance(db(), 'escrow', { subject: d.booking.id })).toBe(4_321);
  });
});

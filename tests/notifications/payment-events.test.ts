// Money events (a payment succeeded, a payment failed, a payout sent) each make exactly
// one in-app notification for each user they concern, and none for the other party.
// Money transactions leave their notifications in the private.payment_notices outbox;
// private.send_payment_notices delivers them through private.notify (pg_cron, the
// payments-reconcile function and the payout worker run it). Payment notifications
// collapse on 'payment:<id>' and payout ones on 'payout:<id>': a second notify about the
// same event would bump `occurrences` instead of adding a row, so the tests check both.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asService, asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { callback, deal, paidBooking, settle, startPayment, transition } from '../money/helpers.ts';

interface Received {
  id: string;
  user_id: string;
  template_key: string;
  params: Record<string, unknown>;
  occurrences: number;
}

/** Empties the outbox as the scheduler does (in batches until nothing is left). */
async function deliver(tx: Tx): Promise<void> {
  for (let sent = -1; sent !== 0; ) {
    const [row] = await asService(tx, (q) => q`select private.send_payment_notices() as n`);
    sent = row!.n as number;
  }
}

/** The user's notifications with this template key. */
async function received(tx: Tx, user: TestUser, templateKey: string): Promise<Received[]> {
  return (await tx`
    select id, user_id, template_key, params, occurrences from public.notifications
    where user_id = ${user.id} and template_key = ${templateKey}`) as unknown as Received[];
}

/** Every notification the parties have. */
async function inboxOf(tx: Tx, parties: TestUser[]): Promise<Received[]> {
  return (await tx`
    select id, user_id, template_key, params, occurrences from public.notifications
    where user_id = any(${parties.map((u) => u.id)}::uuid[])
    order by id`) as unknown as Received[];
}

/**
 * Runs `event`, delivers the outbox, and expects exactly `expected` (user → template) to
 * have arrived across the parties: new rows, or collapsed rows notified again. What was
 * pending before the event is delivered first, so only the event's notifications count.
 */
async function expectNotified(tx: Tx, parties: TestUser[], event: () => Promise<unknown>, expected: [TestUser, string][]): Promise<Received[]> {
  await deliver(tx);
  const before = new Map((await inboxOf(tx, parties)).map((n) => [n.id, n.occurrences]));
  await event();
  await deliver(tx);
  const fresh = (await inboxOf(tx, parties)).filter((n) => before.get(n.id) !== n.occurrences);
  expect(fresh.map((n) => [n.user_id, n.template_key]).sort()).toEqual(expected.map(([u, key]) => [u.id, key]).sort());
  for (const n of fresh) expect(n.occurrences).toBe(1);
  return fresh;
}

/** Runs `replay` and delivers again: the parties' inboxes must not change at all. */
async function expectNothingMore(tx: Tx, parties: TestUser[], replay: () => Promise<unknown>): Promise<void> {
  const before = await inboxOf(tx, parties);
  await replay();
  await deliver(tx);
  expect(await inboxOf(tx, parties)).toEqual(before);
}

describe('payment events', () => {
  it('a payment succeeded: the customer gets one payment.succeeded, the provider one payment.received, and a redelivered report adds none', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 12_500 });
      const parties = [d.customer, d.provider];
      const payment = await startPayment(tx, d.customer, d.booking.id);
      const report = { status: 'succeeded', amount: payment.amount_minor };
      const event = randomUUID();

      await expectNotified(tx, parties, async () => expect(await callback(tx, payment, report, event)).toMatchObject({ result: 'applied' }), [
        [d.customer, 'payment.succeeded'],
        [d.provider, 'payment.received'],
      ]);
      const [receipt] = await received(tx, d.customer, 'payment.succeeded');
      expect(receipt!.params).toMatchObject({ payment_id: payment.id, booking_id: d.booking.id, amount: '125.00 GHS' });
      expect(await received(tx, d.customer, 'payment.succeeded')).toHaveLength(1);
      expect(await received(tx, d.provider, 'payment.received')).toHaveLength(1);
      expect((await received(tx, d.provider, 'payment.received'))[0]!.params).toMatchObject({ payment_id: payment.id });
      // Each party gets only their own message.
      expect(await received(tx, d.provider, 'payment.succeeded')).toEqual([]);
      expect(await received(tx, d.customer, 'payment.received')).toEqual([]);

      // The webhook delivered again (same event id, then a new one) and the poller's re-fetch.
      await expectNothingMore(tx, parties, async () => {
        expect(await callback(tx, payment, report, event)).toMatchObject({ result: 'duplicate' });
        expect(await callback(tx, payment, report)).toMatchObject({ result: 'duplicate' });
        expect(await settle(tx, payment, report)).toMatchObject({ result: 'duplicate' });
      });
    });
  });

  it('a payment failed: the customer gets one payment.failed, the provider nothing, and a redelivered report adds none', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 4_000 });
      const parties = [d.customer, d.provider];
      const payment = await startPayment(tx, d.customer, d.booking.id);
      const report = { status: 'failed', amount: payment.amount_minor, failureReason: 'APPROVAL_REJECTED', transactionId: null };
      const event = randomUUID();

      await expectNotified(tx, parties, async () => expect(await callback(tx, payment, report, event)).toMatchObject({ result: 'applied' }), [
        [d.customer, 'payment.failed'],
      ]);
      const notes = await received(tx, d.customer, 'payment.failed');
      expect(notes).toHaveLength(1);
      expect(notes[0]!.params).toMatchObject({
        payment_id: payment.id, booking_id: d.booking.id, amount: '40.00 GHS', status: 'failed', reason: 'APPROVAL_REJECTED',
      });
      expect(await received(tx, d.provider, 'payment.failed')).toEqual([]);
      // Critical: it may fall back to SMS where the market enables it.
      const [flag] = await tx`select critical from public.notifications where id = ${notes[0]!.id}`;
      expect(flag!.critical).toBe(true);

      await expectNothingMore(tx, parties, async () => {
        expect(await callback(tx, payment, report, event)).toMatchObject({ result: 'duplicate' });
        expect(await callback(tx, payment, report)).toMatchObject({ result: 'duplicate' });
        expect(await settle(tx, payment, report)).toMatchObject({ result: 'duplicate' });
      });
    });
  });
});

describe('payout events', () => {
  it('a payout sent: the provider gets one payout.sent, the customer nothing, and a late repeat of the rail’s answer adds none', async () => {
    await rollback(async (tx) => {
      // A provider with released earnings: a paid booking, completed.
      const paid = await paidBooking(tx, { priceMinor: 10_000, status: 'in_progress' });
      await transition(tx, paid.provider, paid.booking.id, 'completed');
      const parties = [paid.customer, paid.provider];
      const [payout] = await asUser(tx, paid.provider, (q) => q`select id from public.request_payout(5000, null, ${randomUUID()})`);
      const payoutId = payout!.id as string;
      // What the payout worker does (src/payments/payouts.ts runPayouts): claim, then report the rail's answer.
      const report = (status: 'succeeded' | 'failed') => asService(tx, (q) => q`
        select status from private.complete_payout(${payoutId}, ${status}::public.payout_status, ${payoutId}, null)`);

      await expectNotified(tx, parties, async () => {
        const claimed = await asService(tx, (q) => q`select payout_id from private.claim_payouts(1, interval '2 minutes', ${payoutId})`);
        expect(claimed).toHaveLength(1);
        expect(await report('succeeded')).toEqual([{ status: 'succeeded' }]);
      }, [[paid.provider, 'payout.sent']]);
      const notes = await received(tx, paid.provider, 'payout.sent');
      expect(notes).toHaveLength(1);
      expect(notes[0]!.params).toMatchObject({ payout_id: payoutId, amount: '50.00 GHS', amount_minor: 5_000 });
      expect(await received(tx, paid.customer, 'payout.sent')).toEqual([]);

      // The rail's answer again, and a contradicting late one: the payout is final.
      await expectNothingMore(tx, parties, async () => {
        expect(await report('succeeded')).toEqual([{ status: 'succeeded' }]);
        expect(await report('failed')).toEqual([{ status: 'succeeded' }]);
      });
      expect(await received(tx, paid.provider, 'payout.failed')).toEqual([]);
    });
  });
});

describe('the payment notice outbox', () => {
  it('skips a user who has deleted their account since, and still delivers everyone else’s', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 4_000 });
      await deliver(tx);
      await tx`
        insert into private.payment_notices (user_id, template_key, params)
        values (${randomUUID()}, 'payment.succeeded', '{}'), (${d.customer.id}, 'payment.succeeded', '{"amount": "1.00 GHS"}')`;
      await deliver(tx);
      expect(await received(tx, d.customer, 'payment.succeeded')).toHaveLength(1);
      const [left] = await tx`select count(*)::int as n from private.payment_notices`;
      expect(left!.n).toBe(0);
    });
  });
});

describe('live payment status on user:<id>', () => {
  it('the payer hears the payment settle at once on their own topic', async () => {
    await rollback(async (tx) => {
      const d = await deal(tx, { priceMinor: 4_000 });
      const payment = await startPayment(tx, d.customer, d.booking.id);
      await callback(tx, payment, { status: 'succeeded', amount: payment.amount_minor, transactionId: `tx-${randomUUID()}` });
      const heard = async (user: TestUser) =>
        (await tx`
          select payload from realtime.messages
          where topic = ${`user:${user.id}`} and event = 'payment_status' and private`).map((r) => r.payload);
      expect(await heard(d.customer)).toEqual([
        expect.objectContaining({ payment_id: payment.id, booking_id: d.booking.id, status: 'succeeded', from_status: 'pending' }),
      ]);
      expect(await heard(d.provider)).toEqual([]);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { asAnon, asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import {
  completedBooking,
  createAdmin,
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  startedBooking,
  transition,
  uploadObject,
  utcDay,
} from '../harness/services.ts';

function openDispute(tx: Tx, user: TestUser, bookingId: string, reason: string | null, evidence: string[] = []) {
  return asUser(tx, user, async (q) => {
    const [row] = await q`select * from public.open_dispute(${bookingId}, ${reason}, ${evidence})`;
    return row!;
  });
}

function resolve(tx: Tx, user: TestUser, disputeId: string, outcome: string, refund: number | null = null, note: string | null = null) {
  return asUser(tx, user, async (q) => {
    const [row] = await q`select * from public.resolve_dispute(${disputeId}, ${outcome}, ${refund}, ${note})`;
    return row!;
  });
}

async function scene(tx: Tx) {
  const kwame = await createProvider(tx);
  const ama = await createCustomer(tx);
  const kofi = await createCustomer(tx);
  const yaw = await createProvider(tx);
  const admin = await createAdmin(tx);
  const listing = await createListing(tx, kwame, { priceMinor: 20000 });
  const booking = await startedBooking(tx, ama, kwame, listing);
  return { kwame, ama, kofi, yaw, admin, listing, booking };
}

describe('opening a dispute', () => {
  it('a customer disputes a booking in progress with a reason and evidence; the booking becomes disputed', async () => {
    await rollback(async (tx) => {
      const { ama, booking } = await scene(tx);
      const photo = await uploadObject(tx, ama, 'dispute-evidence', 'flooded-kitchen.jpg');
      const dispute = await openDispute(tx, ama, booking.id, 'The leak is worse than before', [photo]);
      expect(dispute).toMatchObject({ booking_id: booking.id, opened_by: ama.id, opener_role: 'customer', status: 'open', booking_status_before: 'in_progress' });
      const [row] = await tx`select status from public.bookings where id = ${booking.id}`;
      expect(row?.status).toBe('disputed');
      const evidence = await asUser(tx, ama, (q) => q`select object_path from public.dispute_evidence where dispute_id = ${dispute.id}`);
      expect(evidence).toEqual([{ object_path: photo }]);
      const [event] = await tx`select event_type, payload->>'dispute_id' as dispute from public.booking_events where booking_id = ${booking.id} order by id desc limit 1`;
      expect(event).toEqual({ event_type: 'booking.disputed', dispute: dispute.id });
      const [entry] = await tx`select actor, actor_id, reason from public.booking_timeline where booking_id = ${booking.id} order by id desc limit 1`;
      expect(entry).toEqual({ actor: 'customer', actor_id: ama.id, reason: 'The leak is worse than before' });
    });
  });

  it('a provider disputes a recently completed booking; after the dispute window it is too late', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const ama = await createCustomer(tx);
      const listing = await createListing(tx, kwame);
      const recent = await completedBooking(tx, ama, kwame, listing);
      const dispute = await openDispute(tx, kwame, recent.id, 'Customer refused to pay the agreed parts');
      expect(dispute).toMatchObject({ opener_role: 'provider', booking_status_before: 'completed' });
      const old = await completedBooking(tx, ama, kwame, listing);
      await tx`update public.bookings set completed_at = now() - interval '8 days' where id = ${old.id}`;
      await expect(openDispute(tx, ama, old.id, 'Too late')).rejects.toMatchObject({ code: 'PT409', hint: 'dispute_window_closed' });
    });
  });

  it.each<[string, (s: Awaited<ReturnType<typeof scene>>, tx: Tx) => Promise<unknown>, Record<string, unknown>]>([
    ['without a reason', (s, tx) => openDispute(tx, s.ama, s.booking.id, '  '), { code: '22023', hint: 'reason_required' }],
    ['by a stranger', (s, tx) => openDispute(tx, s.kofi, s.booking.id, 'Not mine'), { code: 'PT404', hint: 'booking_not_found' }],
    ['by another provider', (s, tx) => openDispute(tx, s.yaw, s.booking.id, 'Not mine'), { code: 'PT404', hint: 'booking_not_found' }],
    ['with evidence never uploaded', (s, tx) => openDispute(tx, s.ama, s.booking.id, 'Bad', [`${s.ama.id}/nothing.jpg`]), { code: '22023', hint: 'evidence_not_found' }],
    [
      'with someone else’s evidence',
      async (s, tx) => openDispute(tx, s.ama, s.booking.id, 'Bad', [await uploadObject(tx, s.kofi, 'dispute-evidence', 'x.jpg')]),
      { code: '22023', hint: 'evidence_not_found' },
    ],
  ])('is refused %s, and nothing changes', async (_, act, error) => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      await expect(act(s, tx)).rejects.toMatchObject(error);
      const [row] = await tx`select status from public.bookings where id = ${s.booking.id}`;
      expect(row?.status).toBe('in_progress');
      expect(await tx`select id from public.disputes where booking_id = ${s.booking.id}`).toEqual([]);
    });
  });

  it('is refused before the service started, and a second time', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing, booking } = await scene(tx);
      const upcoming = await requestBooking(tx, ama, listing, utcDay(5, 10));
      await transition(tx, kwame, upcoming.id, 'accepted');
      await expect(openDispute(tx, ama, upcoming.id, 'Not started')).rejects.toMatchObject({ code: 'PT409', hint: 'dispute_not_allowed' });
      await openDispute(tx, ama, booking.id, 'First');
      await expect(openDispute(tx, kwame, booking.id, 'Second')).rejects.toMatchObject({ code: 'PT409', hint: 'dispute_exists' });
    });
  });
});

describe('working a dispute', () => {
  it('both parties and admins see the dispute, its evidence and comments; strangers see nothing', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, yaw, admin, booking } = await scene(tx);
      const photo = await uploadObject(tx, ama, 'dispute-evidence', 'receipt.pdf');
      const dispute = await openDispute(tx, ama, booking.id, 'Charged twice', [photo]);
      await asUser(tx, kwame, (q) => q`select public.comment_on_dispute(${dispute.id}, 'I charged once; see my receipt')`);
      const [note] = await asUser(tx, admin, (q) => q`select author_role from public.comment_on_dispute(${dispute.id}, 'Looking into it')`);
      expect(note).toEqual({ author_role: 'admin' });

      for (const user of [ama, kwame, admin]) {
        expect(await asUser(tx, user, (q) => q`select id from public.disputes where id = ${dispute.id}`)).toHaveLength(1);
        expect(await asUser(tx, user, (q) => q`select id from public.dispute_evidence where dispute_id = ${dispute.id}`)).toHaveLength(1);
        expect(await asUser(tx, user, (q) => q`select id from public.dispute_comments where dispute_id = ${dispute.id}`)).toHaveLength(2);
        expect(await asUser(tx, user, (q) => q`select name from storage.objects where name = ${photo}`)).toHaveLength(1);
      }
      for (const user of [kofi, yaw]) {
        expect(await asUser(tx, user, (q) => q`select id from public.disputes where id = ${dispute.id}`)).toEqual([]);
        expect(await asUser(tx, user, (q) => q`select id from public.dispute_evidence where dispute_id = ${dispute.id}`)).toEqual([]);
        expect(await asUser(tx, user, (q) => q`select id from public.dispute_comments where dispute_id = ${dispute.id}`)).toEqual([]);
        expect(await asUser(tx, user, (q) => q`select name from storage.objects where name = ${photo}`)).toEqual([]);
        await expect(asUser(tx, user, (q) => q`select public.comment_on_dispute(${dispute.id}, 'hello')`)).rejects.toMatchObject({
          hint: 'dispute_not_found',
        });
      }
      await expect(asAnon(tx, (q) => q`select id from public.disputes`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('the other party adds evidence while the dispute is open', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, booking } = await scene(tx);
      const dispute = await openDispute(tx, ama, booking.id, 'Bad job');
      const invoice = await uploadObject(tx, kwame, 'dispute-evidence', 'invoice.pdf');
      const [added] = await asUser(tx, kwame, (q) => q`select * from public.add_dispute_evidence(${dispute.id}, ${invoice}, 'Signed by the customer')`);
      expect(added).toMatchObject({ uploaded_by: kwame.id, object_path: invoice });
      await expect(
        asUser(tx, kwame, (q) => q`select public.add_dispute_evidence(${dispute.id}, ${`${kwame.id}/nothing.pdf`})`),
      ).rejects.toMatchObject({ hint: 'evidence_not_found' });
    });
  });

  it('admins see the open disputes as a queue, oldest first', async () => {
    await rollback(async (tx) => {
      const { ama, admin, booking } = await scene(tx);
      const dispute = await openDispute(tx, ama, booking.id, 'Bad job');
      const queue = await asUser(tx, admin, (q) => q`select id from public.disputes where status = 'open' order by created_at`);
      expect(queue.map((r) => r.id)).toContain(dispute.id);
    });
  });
});

describe('resolving a dispute', () => {
  it.each([
    ['release_to_provider', null, 0n],
    ['full_refund', null, 20000n],
    ['partial_refund', 5000, 5000n],
  ])('an admin resolves with %s; the outcome and amount are recorded and sent to the outbox', async (outcome, refund, recorded) => {
    await rollback(async (tx) => {
      const { ama, admin, booking } = await scene(tx);
      const dispute = await openDispute(tx, ama, booking.id, 'Bad job');
      const resolved = await resolve(tx, admin, dispute.id as string, outcome, refund, 'Photos show the leak');
      expect(resolved).toMatchObject({ status: 'resolved', outcome, refund_minor: recorded, resolved_by: admin.id });
      const [row] = await tx`select status from public.bookings where id = ${booking.id}`;
      expect(row?.status).toBe('resolved');
      const [event] = await tx`
        select payload->>'outcome' as outcome, payload->>'refund_minor' as refund from public.booking_events
        where booking_id = ${booking.id} and event_type = 'booking.resolved'`;
      expect(event).toEqual({ outcome, refund: String(recorded) });
      await expect(resolve(tx, admin, dispute.id as string, 'full_refund')).rejects.toMatchObject({ code: 'PT409', hint: 'dispute_not_open' });
      const later = await uploadObject(tx, ama, 'dispute-evidence', 'late.jpg');
      await expect(asUser(tx, ama, (q) => q`select public.add_dispute_evidence(${dispute.id}, ${later})`)).rejects.toMatchObject({
        hint: 'dispute_not_open',
      });
    });
  });

  it.each([
    ['partial_refund', 0],
    ['partial_refund', 20000],
    ['partial_refund', null],
    ['full_refund', 100],
    ['release_to_provider', 100],
  ])('refuses %s with a refund of %s', async (outcome, refund) => {
    await rollback(async (tx) => {
      const { ama, admin, booking } = await scene(tx);
      const dispute = await openDispute(tx, ama, booking.id, 'Bad job');
      await expect(resolve(tx, admin, dispute.id as string, outcome, refund)).rejects.toMatchObject({ code: '22023', hint: 'invalid_refund_amount' });
      const [row] = await tx`select status from public.disputes where id = ${dispute.id}`;
      expect(row?.status).toBe('open');
    });
  });

  it('only admins resolve', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, booking } = await scene(tx);
      const dispute = await openDispute(tx, ama, booking.id, 'Bad job');
      for (const user of [ama, kwame]) {
        await expect(resolve(tx, user, dispute.id as string, 'full_refund')).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
      }
      await expect(asAnon(tx, (q) => q`select public.resolve_dispute(${dispute.id}, 'full_refund')`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

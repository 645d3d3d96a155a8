import { describe, expect, it } from 'vitest';
import { asAnon, asService, asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import {
  completedBooking,
  createAdmin,
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  transition,
  utcDay,
} from '../harness/services.ts';

function review(tx: Tx, user: TestUser, bookingId: string, rating: number, comment: string | null = null) {
  return asUser(tx, user, async (q) => {
    const [row] = await q`select * from public.submit_review(${bookingId}, ${rating}, ${comment})`;
    return row!;
  });
}

async function rating(tx: Tx, providerId: string) {
  const [row] = await tx`select rating_count, rating_sum, rating_average from public.providers where id = ${providerId}`;
  return row!;
}

/** The aggregate recomputed from scratch, to compare with the one kept incrementally. */
async function recomputed(tx: Tx, providerId: string) {
  const [row] = await tx`
    select count(*)::int as rating_count, coalesce(sum(rating), 0)::bigint as rating_sum
    from public.reviews
    where subject_id = ${providerId} and author_role = 'customer' and published_at is not null and hidden_at is null`;
  return row!;
}

async function scene(tx: Tx) {
  const kwame = await createProvider(tx);
  const ama = await createCustomer(tx);
  const kofi = await createCustomer(tx);
  const yaw = await createProvider(tx);
  const admin = await createAdmin(tx);
  const listing = await createListing(tx, kwame);
  const booking = await completedBooking(tx, ama, kwame, listing);
  return { kwame, ama, kofi, yaw, admin, listing, booking };
}

describe('reviews', () => {
  it('are double-blind: hidden from the other side until both have reviewed, then published together', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, booking } = await scene(tx);
      const mine = await review(tx, ama, booking.id, 4, 'Quick and tidy');
      expect(mine).toMatchObject({ author_role: 'customer', subject_id: kwame.id, rating: 4, published_at: null });
      const seen = (user: TestUser | null) =>
        user
          ? asUser(tx, user, (q) => q`select rating from public.reviews where booking_id = ${booking.id} order by author_role`)
          : asAnon(tx, (q) => q`select rating from public.reviews where booking_id = ${booking.id} order by author_role`);
      expect(await seen(ama)).toEqual([{ rating: 4 }]);
      expect(await seen(kwame)).toEqual([]);
      expect(await seen(kofi)).toEqual([]);
      expect(await seen(null)).toEqual([]);
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 0, rating_average: null });

      await review(tx, kwame, booking.id, 5, 'Friendly customer');
      expect(await seen(kwame)).toEqual([{ rating: 4 }, { rating: 5 }]);
      // The public sees reviews of providers; reviews of customers stay among users.
      expect(await seen(null)).toEqual([{ rating: 4 }]);
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 1, rating_sum: 4n, rating_average: '4.00' });
    });
  });

  it('are published when the review window ends, even if only one side reviewed', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, booking } = await scene(tx);
      const mine = await review(tx, ama, booking.id, 3);
      await tx`update public.reviews set publish_after = now() - interval '1 second' where id = ${mine.id}`;
      // Visible as soon as the window is over…
      expect(await asAnon(tx, (q) => q`select rating from public.reviews where id = ${mine.id}`)).toEqual([{ rating: 3 }]);
      // …and counted once the publishing job (pg_cron, or the next review) runs.
      const [job] = await asService(tx, (q) => q`select private.publish_due_reviews() as n`);
      expect(job?.n).toBeGreaterThanOrEqual(1);
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 1, rating_sum: 3n });
    });
  });

  it.each([6, 0, -1])('refuses a rating of %i and writes nothing', async (value) => {
    await rollback(async (tx) => {
      const { ama, booking } = await scene(tx);
      await expect(review(tx, ama, booking.id, value)).rejects.toMatchObject({ code: '22023', hint: 'invalid_rating' });
      expect(await tx`select id from public.reviews where booking_id = ${booking.id}`).toEqual([]);
    });
  });

  it('each party reviews once', async () => {
    await rollback(async (tx) => {
      const { ama, booking } = await scene(tx);
      await review(tx, ama, booking.id, 5);
      await expect(review(tx, ama, booking.id, 1)).rejects.toMatchObject({ code: 'PT409', hint: 'already_reviewed' });
    });
  });

  it('only after completion, and only within the review window', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const ama = await createCustomer(tx);
      const listing = await createListing(tx, kwame);
      const pending = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await transition(tx, kwame, pending.id, 'accepted');
      await expect(review(tx, ama, pending.id, 5)).rejects.toMatchObject({ code: 'PT409', hint: 'booking_not_completed' });
      const done = await completedBooking(tx, ama, kwame, listing);
      await tx`update public.bookings set completed_at = now() - interval '8 days' where id = ${done.id}`;
      await expect(review(tx, ama, done.id, 5)).rejects.toMatchObject({ code: 'PT409', hint: 'review_window_closed' });
    });
  });

  it('strangers cannot review a booking, and nobody writes reviews directly', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, yaw, booking } = await scene(tx);
      for (const stranger of [kofi, yaw]) {
        await expect(review(tx, stranger, booking.id, 1)).rejects.toMatchObject({ code: 'PT404', hint: 'booking_not_found' });
      }
      await expect(
        asUser(tx, ama, (q) => q`
          insert into public.reviews (booking_id, author_id, subject_id, author_role, rating, publish_after)
          values (${booking.id}, ${ama.id}, ${kwame.id}, 'customer', 5, now())`),
      ).rejects.toMatchObject({ code: '42501' });
      const mine = await review(tx, ama, booking.id, 2);
      await expect(asUser(tx, ama, (q) => q`update public.reviews set rating = 5 where id = ${mine.id}`)).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, ama, (q) => q`delete from public.reviews where id = ${mine.id}`)).rejects.toMatchObject({ code: '42501' });
      await expect(asAnon(tx, (q) => q`select public.submit_review(${booking.id}, 5)`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('providers see published reviews of customers; other customers do not', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, yaw, booking } = await scene(tx);
      await review(tx, ama, booking.id, 4);
      const aboutAma = await review(tx, kwame, booking.id, 2, 'Late payment');
      const read = (user: TestUser) => asUser(tx, user, (q) => q`select rating from public.reviews where id = ${aboutAma.id}`);
      expect(await read(yaw)).toEqual([{ rating: 2 }]);
      expect(await read(ama)).toEqual([{ rating: 2 }]);
      expect(await read(kofi)).toEqual([]);
    });
  });

  it('admins hide an abusive review (with a reason) and show it again; the aggregate stays exact', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, admin, booking } = await scene(tx);
      const abusive = await review(tx, ama, booking.id, 1, 'rude words');
      await review(tx, kwame, booking.id, 5);
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 1, rating_sum: 1n });
      await expect(asUser(tx, admin, (q) => q`select public.hide_review(${abusive.id}, '')`)).rejects.toMatchObject({ hint: 'reason_required' });
      await expect(asUser(tx, ama, (q) => q`select public.hide_review(${abusive.id}, 'mine')`)).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
      await expect(asUser(tx, kwame, (q) => q`select public.hide_review(${abusive.id}, 'unfair')`)).rejects.toMatchObject({ hint: 'forbidden' });
      await asUser(tx, admin, (q) => q`select public.hide_review(${abusive.id}, 'Insults')`);
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 0, rating_sum: 0n, rating_average: null });
      expect(await asAnon(tx, (q) => q`select id from public.reviews where id = ${abusive.id}`)).toEqual([]);
      // The author still sees their own review; admins see everything.
      expect(await asUser(tx, ama, (q) => q`select hidden_reason from public.reviews where id = ${abusive.id}`)).toEqual([{ hidden_reason: 'Insults' }]);
      await asUser(tx, admin, (q) => q`select public.unhide_review(${abusive.id}, 'Appeal upheld')`);
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 1, rating_sum: 1n });
    });
  });

  it('keeps the aggregate equal to a full recount through inserts, hides, rating fixes and removals', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const admin = await createAdmin(tx);
      const listing = await createListing(tx, kwame);
      const ids: string[] = [];
      for (const stars of [5, 4, 2, 5, 1]) {
        const customer = await createCustomer(tx);
        const booking = await completedBooking(tx, customer, kwame, listing);
        const written = await review(tx, customer, booking.id, stars);
        await review(tx, kwame, booking.id, 5);
        ids.push(written.id as string);
      }
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 5, rating_sum: 17n, rating_average: '3.40' });
      await asUser(tx, admin, (q) => q`select public.hide_review(${ids[4]!}, 'Spam')`);
      await tx`update public.reviews set rating = 3 where id = ${ids[2]!}`;
      await tx`delete from public.reviews where id = ${ids[0]!}`;
      expect(await rating(tx, kwame.id)).toMatchObject(await recomputed(tx, kwame.id));
      expect(await rating(tx, kwame.id)).toMatchObject({ rating_count: 3, rating_sum: 12n, rating_average: '4.00' });
    });
  });
});

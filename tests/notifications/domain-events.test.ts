// Booking, dispute, review and chat events: each makes exactly one notification for
// each user it concerns, and none for anyone else. Booking, dispute and review events
// wait in the booking_events outbox until private.send_booking_notices turns them into
// notifications (pg_cron every 10 s, payments-reconcile every minute); sending again,
// or from two connections at once, notifies nobody twice.
import { describe, expect, it } from 'vitest';
import { asService, asUser, db, deleteUsers, rollback, type TestUser, type Tx } from '../harness/db.ts';
import {
  completedBooking,
  createAdmin,
  createCustomer,
  createListing,
  createProvider,
  notifyBookingEvents,
  requestBooking,
  startedBooking,
  transition,
  utcDay,
  type Booking,
  type Listing,
} from '../harness/services.ts';
import { conversation, send } from '../harness/chat.ts';

interface Received {
  id: string;
  user_id: string;
  template_key: string;
  params: Record<string, unknown>;
  critical: boolean;
  occurrences: number;
}

async function scene(tx: Tx) {
  const provider = await createProvider(tx);
  const customer = await createCustomer(tx);
  const admin = await createAdmin(tx);
  const listing = await createListing(tx, provider, { title: { en: 'Fix a leaking tap', 'uz-Latn': 'Jo‘mrakni tuzatish' } });
  return { provider, customer, admin, listing };
}

/** Runs the outbox sender as the scheduler does; returns how many events it processed. */
async function sendNotices(tx: Tx): Promise<number> {
  const [row] = await asService(tx, (q) => q`select private.send_booking_notices() as n`);
  return row!.n as number;
}

/** Every notification the given users have. */
async function notificationsOf(tx: Tx, ...users: TestUser[]): Promise<Received[]> {
  return (await tx`
    select id, user_id, template_key, params, critical, occurrences
    from public.notifications
    where user_id = any(${users.map((u) => u.id)}::uuid[])`) as unknown as Received[];
}

/** The notifications in `after` that were not in `before` (one transaction: created_at cannot tell). */
function added(before: Received[], after: Received[]): Received[] {
  const seen = new Set(before.map((n) => n.id));
  return after.filter((n) => !seen.has(n.id));
}

/** Sends what is pending, then expects exactly `expected` (user → template) across the parties. */
async function expectNotified(tx: Tx, parties: TestUser[], expected: [TestUser, string][], booking?: Booking): Promise<Received[]> {
  const before = await notificationsOf(tx, ...parties);
  await sendNotices(tx);
  const after = await notificationsOf(tx, ...parties);
  const fresh = added(before, after);
  expect(fresh.map((n) => [n.user_id, n.template_key]).sort()).toEqual(expected.map(([u, t]) => [u.id, t]).sort());
  if (booking) for (const n of fresh) expect(n.params).toMatchObject({ booking_id: booking.id });
  // Sending again finds nothing new to send.
  await sendNotices(tx);
  expect(await notificationsOf(tx, ...parties)).toHaveLength(after.length);
  return fresh;
}

async function requested(tx: Tx, customer: TestUser, listing: Listing, days = 3): Promise<Booking> {
  const booking = await requestBooking(tx, customer, listing, utcDay(days, 10));
  await sendNotices(tx); // the request's own notification, so each test sees only its event's
  return booking;
}

describe('booking events', () => {
  it('a request notifies the provider, with what the app needs to show it', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await requestBooking(tx, customer, listing, utcDay(3, 10));
      const [notice] = await expectNotified(tx, [provider, customer], [[provider, 'booking.requested']], booking);
      expect(notice!.params).toMatchObject({ listing_id: listing.id, listing_title: 'Fix a leaking tap', status: 'requested', actor: 'customer' });
      expect(typeof notice!.params.when).toBe('string');
      expect(notice!.critical).toBe(false);
    });
  });

  it('accepting notifies the customer', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await requested(tx, customer, listing);
      await transition(tx, provider, booking.id, 'accepted');
      await expectNotified(tx, [provider, customer], [[customer, 'booking.accepted']], booking);
    });
  });

  it('push and SMS texts come in the user’s language, with the start in the provider’s time', async () => {
    await rollback(async (tx) => {
      const provider = await createProvider(tx, { market: 'uz', timeZone: 'Asia/Tashkent' });
      const customer = await createCustomer(tx, 'uz');
      const listing = await createListing(tx, provider, { title: { 'uz-Latn': 'Santexnika taʼmiri', en: 'Plumbing repair' } });
      const booking = await requested(tx, customer, listing);
      await transition(tx, provider, booking.id, 'accepted');
      const [notice] = await expectNotified(tx, [provider, customer], [[customer, 'booking.accepted']], booking);
      const text = async (locale: string) => {
        const [row] = await tx`
          select t.title, t.body from public.notifications as n, public.markets as m,
               private.notification_text(n, ${locale}, m) as t
          where n.id = ${notice!.id} and m.code = 'uz'`;
        return row as { title: string; body: string };
      };
      const [zone] = await tx`select time_zone from public.bookings where id = ${booking.id}`;
      const local = (await tx`select to_char(${booking.starts_at}::timestamptz at time zone ${zone!.time_zone}, 'DD.MM.YYYY HH24:MI') as w`)[0]!.w;
      expect(await text('uz-Latn')).toMatchObject({ title: 'Buyurtma tasdiqlandi' });
      expect((await text('uz-Latn')).body).toContain(local);
      expect(await text('uz-Cyrl')).toMatchObject({ title: 'Буюртма тасдиқланди' });
      expect(await text('ru-RU')).toMatchObject({ title: 'Заказ подтверждён' });
      expect(await text('en')).toMatchObject({ title: 'Booking confirmed' });
    });
  });

  it('declining notifies the customer, with the reason', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await requested(tx, customer, listing);
      await transition(tx, provider, booking.id, 'declined', 'Fully booked that day');
      const [notice] = await expectNotified(tx, [provider, customer], [[customer, 'booking.declined']], booking);
      expect(notice!.params).toMatchObject({ reason: 'Fully booked that day' });
    });
  });

  it('a request that expires notifies the customer', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await requested(tx, customer, listing);
      await tx`update public.bookings set expires_at = now() - interval '1 minute' where id = ${booking.id}`;
      await asService(tx, (q) => q`select private.expire_booking_requests()`);
      await expectNotified(tx, [provider, customer], [[customer, 'booking.expired']], booking);
    });
  });

  it('cancelling notifies the other party; the customer’s notice is critical; an admin’s tells both', async () => {
    await rollback(async (tx) => {
      const { provider, customer, admin, listing } = await scene(tx);
      const byCustomer = await requested(tx, customer, listing, 3);
      await transition(tx, customer, byCustomer.id, 'cancelled_by_customer', 'Plans changed');
      const [toProvider] = await expectNotified(tx, [provider, customer], [[provider, 'booking.cancelled']], byCustomer);
      expect(toProvider!.critical).toBe(false);

      const byProvider = await requested(tx, customer, listing, 4);
      await transition(tx, provider, byProvider.id, 'accepted');
      await sendNotices(tx);
      await transition(tx, provider, byProvider.id, 'cancelled_by_provider', 'Van broke down');
      const [toCustomer] = await expectNotified(tx, [provider, customer], [[customer, 'booking.cancelled']], byProvider);
      expect(toCustomer!.critical).toBe(true);

      const byAdmin = await requested(tx, customer, listing, 5);
      await transition(tx, admin, byAdmin.id, 'cancelled_by_admin', 'Fraud check');
      await expectNotified(tx, [provider, customer, admin], [[provider, 'booking.cancelled'], [customer, 'booking.cancelled']], byAdmin);
    });
  });

  it('starting the job notifies the customer', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const before = await notificationsOf(tx, customer);
      const booking = await startedBooking(tx, customer, provider, listing);
      await sendNotices(tx);
      const fresh = added(before, await notificationsOf(tx, customer)).map((n) => n.template_key);
      expect(fresh.sort()).toEqual(['booking.accepted', 'booking.started']);
      expect((await notificationsOf(tx, provider)).filter((n) => n.template_key === 'booking.started')).toEqual([]);
      expect(booking.status).toBe('in_progress');
    });
  });

  it('completing the job notifies the customer', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await startedBooking(tx, customer, provider, listing);
      await sendNotices(tx);
      await transition(tx, provider, booking.id, 'completed');
      await expectNotified(tx, [provider, customer], [[customer, 'booking.completed']], booking);
    });
  });

  it('rescheduling notifies the other party', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await requested(tx, customer, listing);
      await asUser(tx, customer, (q) => q`select public.reschedule_booking(${booking.id}, ${utcDay(6, 10)})`);
      const [notice] = await expectNotified(tx, [provider, customer], [[provider, 'booking.rescheduled']], booking);
      expect(new Date(notice!.params.starts_at as string).getTime()).toBe(utcDay(6, 10).getTime());
    });
  });
});

describe('dispute events', () => {
  it('opening a dispute notifies the other party', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await completedBooking(tx, customer, provider, listing);
      await sendNotices(tx);
      const [dispute] = await asUser(tx, customer, (q) => q`select id from public.open_dispute(${booking.id}, 'The tap still leaks', ${[]}::text[])`);
      const [notice] = await expectNotified(tx, [provider, customer], [[provider, 'dispute.opened']], booking);
      expect(notice!.params).toMatchObject({ dispute_id: dispute!.id, reason: 'The tap still leaks' });
    });
  });

  it('resolving a dispute notifies both parties, with the outcome', async () => {
    await rollback(async (tx) => {
      const { provider, customer, admin, listing } = await scene(tx);
      const booking = await completedBooking(tx, customer, provider, listing);
      const [dispute] = await asUser(tx, provider, (q) => q`select id from public.open_dispute(${booking.id}, 'Customer refuses to pay', ${[]}::text[])`);
      await sendNotices(tx);
      await asUser(tx, admin, (q) => q`select public.resolve_dispute(${dispute!.id}, 'release_to_provider', null, 'Work was done')`);
      const notices = await expectNotified(tx, [provider, customer, admin], [[provider, 'dispute.resolved'], [customer, 'dispute.resolved']], booking);
      for (const n of notices) expect(n.params).toMatchObject({ dispute_id: dispute!.id, outcome: 'release_to_provider' });
    });
  });
});

describe('review events', () => {
  it('a review notifies the reviewed party only, without its rating or text (reviews are double-blind)', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const booking = await completedBooking(tx, customer, provider, listing);
      await sendNotices(tx);
      await asUser(tx, customer, (q) => q`select public.submit_review(${booking.id}, 2, 'Left a mess')`);
      const [notice] = await expectNotified(tx, [provider, customer], [[provider, 'review.received']], booking);
      expect(notice!.params).toMatchObject({ author_role: 'customer' });
      expect(JSON.stringify(notice!.params)).not.toMatch(/mess|rating/);
      await asUser(tx, provider, (q) => q`select public.submit_review(${booking.id}, 5, 'Kind customer')`);
      await expectNotified(tx, [provider, customer], [[customer, 'review.received']], booking);
    });
  });
});

describe('chat events', () => {
  it('new messages notify the recipient once per thread, collapsed while unread', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'Is Saturday possible?');
      await send(tx, customer, thread.id, 'Morning would be best.');
      const received = (await notificationsOf(tx, provider, customer)).filter((n) => n.template_key === 'chat.message');
      expect(received.map((n) => [n.user_id, n.occurrences])).toEqual([[provider.id, 2]]);
    });
  });
});

describe('live status on user:<id>', () => {
  /** What the database broadcast on the user's topic with this event. */
  async function heard(tx: Tx, user: TestUser, event: string): Promise<Record<string, unknown>[]> {
    const rows = await tx`
      select payload from realtime.messages
      where topic = ${`user:${user.id}`} and event = ${event} and extension = 'broadcast' and private`;
    return rows.map((r) => r.payload as Record<string, unknown>);
  }

  it('a booking’s status change reaches both parties at once, and nobody else', async () => {
    await rollback(async (tx) => {
      const { provider, customer, listing } = await scene(tx);
      const stranger = await createCustomer(tx);
      const booking = await requestBooking(tx, customer, listing, utcDay(3, 10));
      expect(await heard(tx, provider, 'booking_status')).toEqual([]); // a new request arrives as its notification
      await transition(tx, provider, booking.id, 'accepted');
      for (const user of [customer, provider]) {
        expect(await heard(tx, user, 'booking_status')).toEqual([
          expect.objectContaining({ booking_id: booking.id, status: 'accepted', from_status: 'requested' }),
        ]);
      }
      expect(await heard(tx, stranger, 'booking_status')).toEqual([]);
      // Only the owner of the topic may receive it (the realtime.messages policies).
      const read = (user: TestUser) => asUser(tx, user, async (q) => {
        await q`select set_config('realtime.topic', ${`user:${customer.id}`}, true)`;
        return q`select id from realtime.messages where topic = ${`user:${customer.id}`} and event = 'booking_status'`;
      });
      expect(await read(customer)).toHaveLength(1);
      expect(await read(stranger)).toEqual([]);
    });
  });
});

describe('the outbox sender', () => {
  it('notifies each event once when two senders run at once (real connections)', async () => {
    const sql = db();
    const provider = await createProvider(sql);
    const customer = await createCustomer(sql);
    try {
      const listing = await createListing(sql, provider);
      for (let day = 3; day < 13; day++) await requestBooking(sql, customer, listing, utcDay(day, 10));
      const run = () => sql.begin((tx) => asService(tx, (q) => q`select private.send_booking_notices(3) as n`));
      // Each runs until the outbox is empty; their batches never overlap.
      const drain = async () => {
        for (let rounds = 0; rounds < 20; rounds++) {
          const [row] = await run();
          if (row!.n === 0) return;
        }
      };
      await Promise.all([drain(), drain()]);
      // Other test files' transactions may hold some of these events for a moment.
      const ours = await sql`select id from public.bookings where customer_id = ${customer.id}`;
      await notifyBookingEvents(sql, ours.map((b) => b.id as string));
      const [row] = await sql`
        select count(*)::int as n, count(distinct params ->> 'booking_id')::int as bookings
        from public.notifications where user_id = ${provider.id} and template_key = 'booking.requested'`;
      expect(row).toEqual({ n: 10, bookings: 10 });
      const [pending] = await sql`
        select count(*)::int as n from public.booking_events as e
        join public.bookings as b on b.id = e.booking_id
        where b.customer_id = ${customer.id} and e.notified_at is null`;
      expect(pending!.n).toBe(0);
    } finally {
      await deleteUsers(customer, provider);
    }
  });

  it('is for the scheduler only: users cannot run it', async () => {
    await rollback(async (tx) => {
      const { customer } = await scene(tx);
      await expect(asUser(tx, customer, (q) => q`select private.send_booking_notices()`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('push and SMS texts', () => {
  it('exist in each market’s own language for every notification that market sends', async () => {
    await rollback(async (tx) => {
      // Money and chat notify in every market; bookings, disputes and reviews where the
      // market offers services. Test templates other files commit are left out.
      const missing = await tx`
        select m.code, t.template_key
        from public.markets as m
        cross join (select distinct template_key from private.notification_templates
                    where locale = 'en' and split_part(template_key, '.', 1)
                          in ('payment', 'payout', 'earnings', 'chat', 'booking', 'dispute', 'review')) as t
        where (split_part(t.template_key, '.', 1) in ('payment', 'payout', 'earnings', 'chat') or 'services' = any(m.modules))
          and not exists (
            select from private.notification_templates as x
            where x.template_key = t.template_key and x.locale = m.default_locale)
        order by 1, 2`;
      expect(missing).toEqual([]);
    });
  });
});

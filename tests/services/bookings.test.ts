import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asService, asUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import {
  createAdmin,
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  soon,
  startedBooking,
  transition,
  utcDay,
  type Listing,
} from '../harness/services.ts';

const HOUR = 3600_000;

/** A start `hours` from now, on a whole minute. */
function inHours(hours: number): Date {
  const d = new Date(Date.now() + hours * HOUR);
  d.setUTCSeconds(0, 0);
  return d;
}

async function scene(tx: Tx) {
  const kwame = await createProvider(tx);
  const yaw = await createProvider(tx);
  const ama = await createCustomer(tx);
  const kofi = await createCustomer(tx);
  const admin = await createAdmin(tx);
  const listing = await createListing(tx, kwame, { priceMinor: 15000, bufferBeforeMinutes: 15, bufferAfterMinutes: 30 });
  return { kwame, yaw, ama, kofi, admin, listing };
}

async function bookingsOf(tx: Tx, listing: Listing): Promise<number> {
  const [row] = await tx`select count(*)::int as n from public.bookings where listing_id = ${listing.id}`;
  return row!.n as number;
}

describe('requesting a booking', () => {
  it('creates a request priced in SQL, holding the time plus buffers, on the timeline and in the outbox', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const start = utcDay(3, 10);
      const booking = await requestBooking(tx, ama, listing, start, { notes: 'Kitchen tap' });
      expect(booking).toMatchObject({
        status: 'requested',
        customer_id: ama.id,
        provider_id: kwame.id,
        price_minor: 15000n,
        currency_code: 'GHS',
        pricing_unit: 'fixed',
        notes: 'Kitchen tap',
        time_zone: 'Africa/Accra',
      });
      expect(booking.ends_at.getTime() - start.getTime()).toBe(HOUR);
      const [range] = await tx`select lower(occupied) as from, upper(occupied) as to, extract(epoch from expires_at - created_at)::int as ttl from public.bookings where id = ${booking.id}`;
      expect(range!.from.getTime()).toBe(start.getTime() - 15 * 60_000);
      expect(range!.to.getTime()).toBe(start.getTime() + 90 * 60_000);
      expect(range!.ttl).toBe(24 * 3600);
      const timeline = await asUser(tx, ama, (q) => q`select kind, to_status, actor, actor_id from public.booking_timeline where booking_id = ${booking.id}`);
      expect(timeline).toEqual([{ kind: 'requested', to_status: 'requested', actor: 'customer', actor_id: ama.id }]);
      const events = await tx`select event_type, payload->>'price_minor' as price from public.booking_events where booking_id = ${booking.id}`;
      expect(events).toEqual([{ event_type: 'booking.requested', price: '15000' }]);
    });
  });

  it('prices hourly listings by the listing’s duration, rounding up to the minor unit', async () => {
    await rollback(async (tx) => {
      const { kwame, ama } = await scene(tx);
      const hourly = await createListing(tx, kwame, { priceMinor: 8001, pricingUnit: 'hourly', durationMinutes: 90 });
      const booking = await requestBooking(tx, ama, hourly, utcDay(3, 10));
      expect(booking.price_minor).toBe(12002n);
    });
  });

  it('never takes a price or status from the client: bookings cannot be written directly', async () => {
    await rollback(async (tx) => {
      const { ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await expect(asUser(tx, ama, (q) => q`update public.bookings set price_minor = 1 where id = ${booking.id}`)).rejects.toMatchObject({
        code: '42501',
      });
      await expect(asUser(tx, ama, (q) => q`update public.bookings set status = 'completed' where id = ${booking.id}`)).rejects.toMatchObject({
        code: '42501',
      });
      await expect(asUser(tx, ama, (q) => q`delete from public.bookings where id = ${booking.id}`)).rejects.toMatchObject({ code: '42501' });
      await expect(
        asUser(tx, ama, (q) => q`insert into public.bookings (listing_id) values (${listing.id})`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a retried request with the same idempotency key returns the same booking', async () => {
    await rollback(async (tx) => {
      const { ama, listing } = await scene(tx);
      const key = randomUUID();
      const first = await requestBooking(tx, ama, listing, utcDay(3, 10), { idempotencyKey: key });
      const retry = await requestBooking(tx, ama, listing, utcDay(3, 10), { idempotencyKey: key });
      expect(retry.id).toBe(first.id);
      expect(await bookingsOf(tx, listing)).toBe(1);
      await expect(requestBooking(tx, ama, listing, utcDay(3, 12), { idempotencyKey: key })).rejects.toMatchObject({
        code: 'PT409',
        hint: 'idempotency_key_reused',
      });
    });
  });

  it('two customers cannot hold overlapping time with one provider, buffers included', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, listing } = await scene(tx);
      await requestBooking(tx, ama, listing, utcDay(3, 10));
      await expect(requestBooking(tx, kofi, listing, utcDay(3, 10, 30))).rejects.toMatchObject({ code: 'PT409', hint: 'slot_unavailable' });
      // 11:00 starts inside Ama's after-buffer (until 11:30), even on another listing of the same provider.
      const other = await createListing(tx, kwame, { bufferBeforeMinutes: 0 });
      await expect(requestBooking(tx, kofi, other, utcDay(3, 11))).rejects.toMatchObject({ hint: 'slot_unavailable' });
      await requestBooking(tx, kofi, other, utcDay(3, 11, 30));
      expect(await bookingsOf(tx, listing)).toBe(1);
    });
  });

  it.each<[string, (l: Listing) => Promise<void> | void, () => Date, Record<string, unknown>]>([
    ['a slot in the past', () => undefined, () => inHours(-2), { code: '22023', hint: 'slot_in_past' }],
    ['less notice than the listing asks', () => undefined, () => inHours(0.5), { code: '22023', hint: 'notice_too_short' }],
    ['a start beyond the booking horizon', () => undefined, () => utcDay(120, 10), { code: '22023', hint: 'too_far_ahead' }],
  ])('refuses %s and writes nothing', async (_, _setup, start, error) => {
    await rollback(async (tx) => {
      const { ama, listing } = await scene(tx);
      await expect(requestBooking(tx, ama, listing, start())).rejects.toMatchObject(error);
      expect(await bookingsOf(tx, listing)).toBe(0);
      const [events] = await tx`select count(*)::int as n from public.booking_events e join public.bookings b on b.id = e.booking_id where b.listing_id = ${listing.id}`;
      expect(events!.n).toBe(0);
    });
  });

  it('refuses a time outside the provider’s hours', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '12:00' })) });
      const ama = await createCustomer(tx);
      const listing = await createListing(tx, kwame, { durationMinutes: 60 });
      await expect(requestBooking(tx, ama, listing, utcDay(3, 11, 30))).rejects.toMatchObject({ code: 'PT409', hint: 'outside_availability' });
      await expect(requestBooking(tx, ama, listing, utcDay(3, 7))).rejects.toMatchObject({ hint: 'outside_availability' });
      await requestBooking(tx, ama, listing, utcDay(3, 11));
    });
  });

  it('refuses unknown and inactive listings and inactive providers', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      await expect(
        requestBooking(tx, ama, { ...listing, id: '00000000-0000-4000-8000-000000000000' }, utcDay(3, 10)),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'listing_not_found' });
      await tx`update public.service_listings set active = false where id = ${listing.id}`;
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10))).rejects.toMatchObject({ code: 'PT409', hint: 'listing_inactive' });
      await tx`update public.service_listings set active = true where id = ${listing.id}`;
      await tx`update public.providers set active = false where id = ${kwame.id}`;
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10))).rejects.toMatchObject({ code: 'PT409', hint: 'provider_inactive' });
    });
  });

  it('measures coverage as search does (earthdistance), to within a metre at the edge', async () => {
    await rollback(async (tx) => {
      const { ama, listing } = await scene(tx);
      const [base] = await tx`select lat, lng from public.provider_locations where provider_id = ${listing.provider_id}`;
      // Points 2 to 40 km due north-east of the base; the listing's radius set 1 m beyond
      // or short of each one's distance by earth_distance.
      for (const [i, km] of [2, 9.5, 40].entries()) {
        const lat = base!.lat + (km / 111.2) * Math.SQRT1_2;
        const lng = base!.lng + (km / 111.2) * Math.SQRT1_2;
        const [{ m }] = (await tx`
          select extensions.earth_distance(extensions.ll_to_earth(${base!.lat}, ${base!.lng}), extensions.ll_to_earth(${lat}, ${lng})) as m`) as unknown as [{ m: number }];
        await tx`update public.service_listings set coverage_radius_m = ${Math.floor(m) - 1} where id = ${listing.id}`;
        await expect(requestBooking(tx, ama, listing, utcDay(3, 8 + 3 * i), { lat, lng })).rejects.toMatchObject({ hint: 'outside_coverage' });
        await tx`update public.service_listings set coverage_radius_m = ${Math.ceil(m) + 1} where id = ${listing.id}`;
        expect(await requestBooking(tx, ama, listing, utcDay(3, 8 + 3 * i), { lat, lng })).toMatchObject({ status: 'requested' });
      }
    });
  });

  it('refuses bookings while the market offers no services, and for a provider without a base', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      await tx`update public.markets set modules = array_remove(modules, 'services') where code = 'gh'`;
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10))).rejects.toMatchObject({ code: 'PT409', hint: 'services_not_available' });
      await tx`update public.markets set modules = modules || '{services}' where code = 'gh'`;
      await tx`update public.markets set active = false where code = 'gh'`;
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10))).rejects.toMatchObject({ hint: 'services_not_available' });
      await tx`update public.markets set active = true where code = 'gh'`;
      const [base] = await tx`select lat, lng from public.provider_locations where provider_id = ${kwame.id}`;
      await tx`delete from public.provider_locations where provider_id = ${kwame.id}`;
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10), { lat: base!.lat, lng: base!.lng })).rejects.toMatchObject({ code: '22023', hint: 'outside_coverage' });
      expect(await bookingsOf(tx, listing)).toBe(0);
    });
  });

  it('requires a verified provider where the market says so (gh), not elsewhere (uz)', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { verified: false });
      const bobur = await createProvider(tx, { market: 'uz', verified: false });
      const ama = await createCustomer(tx);
      const dilnoza = await createCustomer(tx, 'uz');
      await expect(requestBooking(tx, ama, await createListing(tx, kwame), utcDay(3, 10))).rejects.toMatchObject({
        code: 'PT409',
        hint: 'provider_not_verified',
      });
      const booking = await requestBooking(tx, dilnoza, await createListing(tx, bobur), utcDay(3, 10));
      expect(booking).toMatchObject({ status: 'requested', currency_code: 'UZS' });
      // The setting is the market's: switched on, the same request is refused.
      await tx`update public.service_settings set requires_verified_providers = true where market_code = 'uz'`;
      await expect(requestBooking(tx, dilnoza, await createListing(tx, bobur), utcDay(4, 10))).rejects.toMatchObject({
        hint: 'provider_not_verified',
      });
    });
  });

  it.each<[string, (s: { kwame: TestUser }) => Record<string, unknown>, Record<string, unknown>]>([
    ['an address outside the area served', () => ({ lat: 6.7, lng: -1.6 }), { code: '22023', hint: 'outside_coverage' }],
    ['a location off the earth', () => ({ lat: 91, lng: 0 }), { code: '22023', hint: 'invalid_location' }],
    ['a blank address', () => ({ address: '  ' }), { code: '22023', hint: 'invalid_input' }],
    ['a short idempotency key', () => ({ idempotencyKey: 'abc' }), { code: '22023', hint: 'invalid_input' }],
  ])('refuses %s', async (_, options, error) => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10), options({ kwame }))).rejects.toMatchObject(error);
      expect(await bookingsOf(tx, listing)).toBe(0);
    });
  });

  it('a provider cannot book their own listing; anonymous clients cannot book at all', async () => {
    await rollback(async (tx) => {
      const { kwame, listing } = await scene(tx);
      await expect(requestBooking(tx, kwame, listing, utcDay(3, 10))).rejects.toMatchObject({ code: 'PT409', hint: 'cannot_book_own_listing' });
      await expect(
        asAnon(tx, (q) => q`select public.request_booking(${listing.id}, ${utcDay(3, 10)}, 'x', 5.5, -0.2, ${randomUUID()})`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a suspended customer cannot book', async () => {
    await rollback(async (tx) => {
      const { ama, admin, listing } = await scene(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Chargebacks')`);
      await expect(requestBooking(tx, ama, listing, utcDay(3, 10))).rejects.toMatchObject({ code: 'PT403', hint: 'account_suspended' });
    });
  });
});

describe('the status machine', () => {
  it('runs requested → accepted → in_progress → completed, recording who, when and why', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, soon());
      const accepted = await transition(tx, kwame, booking.id, 'accepted', 'See you then');
      expect(accepted).toMatchObject({ status: 'accepted' });
      expect(accepted.accepted_at).toBeInstanceOf(Date);
      await transition(tx, kwame, booking.id, 'in_progress');
      const done = await transition(tx, kwame, booking.id, 'completed');
      expect(done.completed_at).toBeInstanceOf(Date);
      const timeline = await asUser(tx, ama, (q) => q`
        select from_status, to_status, actor, actor_id, reason from public.booking_timeline where booking_id = ${booking.id} order by id`);
      expect(timeline).toEqual([
        { from_status: null, to_status: 'requested', actor: 'customer', actor_id: ama.id, reason: null },
        { from_status: 'requested', to_status: 'accepted', actor: 'provider', actor_id: kwame.id, reason: 'See you then' },
        { from_status: 'accepted', to_status: 'in_progress', actor: 'provider', actor_id: kwame.id, reason: null },
        { from_status: 'in_progress', to_status: 'completed', actor: 'provider', actor_id: kwame.id, reason: null },
      ]);
      const events = await tx`select event_type, payload from public.booking_events where booking_id = ${booking.id} order by id`;
      expect(events.map((e) => e.event_type)).toEqual(['booking.requested', 'booking.accepted', 'booking.in_progress', 'booking.completed']);
      // request_booking writes its event itself; consumers see one payload shape throughout.
      const [requested, acceptedEvent] = events.map((e) => e.payload as Record<string, unknown>);
      expect(Object.keys(requested!).sort()).toEqual(Object.keys(acceptedEvent!).sort());
      expect(requested).toMatchObject({
        booking_id: booking.id, customer_id: ama.id, provider_id: kwame.id, from_status: null, status: 'requested',
        actor: 'customer', actor_id: ama.id, reason: null, price_minor: 15000, currency_code: 'GHS', market_code: 'gh',
      });
      expect(new Date(requested!.starts_at as string).getTime()).toBe(booking.starts_at.getTime());
    });
  });

  it.each([
    ['requested', 'completed'],
    ['requested', 'in_progress'],
    ['requested', 'requested'],
    ['accepted', 'declined'],
    ['accepted', 'expired'],
  ])('refuses %s → %s, which is not in booking_transitions', async (from, to) => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      if (from === 'accepted') await transition(tx, kwame, booking.id, 'accepted');
      await expect(transition(tx, kwame, booking.id, to)).rejects.toMatchObject({ code: 'PT409', hint: 'invalid_transition' });
      const [row] = await tx`select status from public.bookings where id = ${booking.id}`;
      expect(row?.status).toBe(from);
    });
  });

  it('refuses a transition the caller’s part may not take', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await expect(transition(tx, ama, booking.id, 'accepted')).rejects.toMatchObject({ code: '42501', hint: 'transition_not_allowed' });
      await expect(transition(tx, kwame, booking.id, 'cancelled_by_customer')).rejects.toMatchObject({ hint: 'transition_not_allowed' });
      await expect(transition(tx, ama, booking.id, 'cancelled_by_admin', 'x')).rejects.toMatchObject({ hint: 'transition_not_allowed' });
    });
  });

  it('disputes and resolutions go through their own functions, not transition_booking', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await startedBooking(tx, ama, kwame, listing);
      await expect(transition(tx, ama, booking.id, 'disputed', 'Bad work')).rejects.toMatchObject({ hint: 'invalid_transition' });
    });
  });

  it('a provider cannot start (and so complete) a booking more than two hours before its time', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await transition(tx, kwame, booking.id, 'accepted');
      await expect(transition(tx, kwame, booking.id, 'in_progress')).rejects.toMatchObject({ code: 'PT409', hint: 'transition_too_early' });
      await expect(transition(tx, kwame, booking.id, 'completed')).rejects.toMatchObject({ hint: 'invalid_transition' });
    });
  });

  it('strangers cannot move, or even find, someone else’s booking', async () => {
    await rollback(async (tx) => {
      const { yaw, ama, kofi, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      for (const stranger of [yaw, kofi]) {
        await expect(transition(tx, stranger, booking.id, 'accepted')).rejects.toMatchObject({ code: 'PT404', hint: 'booking_not_found' });
        await expect(transition(tx, stranger, booking.id, 'cancelled_by_customer')).rejects.toMatchObject({ hint: 'booking_not_found' });
      }
      await expect(
        asAnon(tx, (q) => q`select public.transition_booking(${booking.id}, 'accepted')`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a provider’s cancellation and an admin’s need a reason', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, admin, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await transition(tx, kwame, booking.id, 'accepted');
      await expect(transition(tx, kwame, booking.id, 'cancelled_by_provider')).rejects.toMatchObject({ code: '22023', hint: 'reason_required' });
      await expect(transition(tx, admin, booking.id, 'cancelled_by_admin', ' ')).rejects.toMatchObject({ hint: 'reason_required' });
      const cancelled = await transition(tx, admin, booking.id, 'cancelled_by_admin', 'Provider unreachable');
      expect(cancelled.status).toBe('cancelled_by_admin');
      const [last] = await tx`select actor, actor_id, reason from public.booking_timeline where booking_id = ${booking.id} order by id desc limit 1`;
      expect(last).toEqual({ actor: 'admin', actor_id: admin.id, reason: 'Provider unreachable' });
    });
  });

  it('a declined or cancelled booking frees its time', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, listing } = await scene(tx);
      const first = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await transition(tx, kwame, first.id, 'declined', 'Fully booked that week');
      const second = await requestBooking(tx, kofi, listing, utcDay(3, 10));
      await transition(tx, kofi, second.id, 'cancelled_by_customer');
      const third = await requestBooking(tx, ama, listing, utcDay(3, 10));
      expect(third.status).toBe('requested');
    });
  });
});

describe('expiry', () => {
  it('a request not accepted in time expires: it cannot be accepted and frees its time for others', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, kofi, listing } = await scene(tx);
      const stale = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await tx`update public.bookings set expires_at = now() - interval '1 minute' where id = ${stale.id}`;
      await expect(transition(tx, kwame, stale.id, 'accepted')).rejects.toMatchObject({ code: 'PT409', hint: 'booking_expired' });
      // Another customer asking for the same time expires it on the way.
      const fresh = await requestBooking(tx, kofi, listing, utcDay(3, 10));
      expect(fresh.status).toBe('requested');
      const [row] = await tx`select status from public.bookings where id = ${stale.id}`;
      expect(row?.status).toBe('expired');
      const [last] = await tx`select actor, actor_id from public.booking_timeline where booking_id = ${stale.id} order by id desc limit 1`;
      expect(last).toEqual({ actor: 'system', actor_id: null });
      const events = await tx`select event_type from public.booking_events where booking_id = ${stale.id} order by id`;
      expect(events.map((e) => e.event_type)).toEqual(['booking.requested', 'booking.expired']);
    });
  });

  it('the expiry job runs as the service role (pg_cron where installed), not for app users', async () => {
    await rollback(async (tx) => {
      const { ama, listing } = await scene(tx);
      const stale = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await tx`update public.bookings set expires_at = now() - interval '1 minute' where id = ${stale.id}`;
      await expect(asUser(tx, ama, (q) => q`select private.expire_booking_requests()`)).rejects.toMatchObject({ code: '42501' });
      const [result] = await asService(tx, (q) => q`select private.expire_booking_requests() as n`);
      expect(result?.n).toBeGreaterThanOrEqual(1);
      const [row] = await tx`select status from public.bookings where id = ${stale.id}`;
      expect(row?.status).toBe('expired');
    });
  });
});

describe('rescheduling', () => {
  it('either party moves a booking to another free time, recorded on the timeline', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await transition(tx, kwame, booking.id, 'accepted');
      const [moved] = await asUser(tx, ama, (q) => q`select * from public.reschedule_booking(${booking.id}, ${utcDay(4, 14)}, 'Visitors on Tuesday')`);
      expect(moved).toMatchObject({ status: 'accepted', starts_at: utcDay(4, 14), ends_at: utcDay(4, 15) });
      const [back] = await asUser(tx, kwame, (q) => q`select * from public.reschedule_booking(${booking.id}, ${utcDay(4, 15)})`);
      expect(back!.starts_at).toEqual(utcDay(4, 15));
      const [entry] = await tx`
        select kind, actor, reason, details->>'previous_starts_at' as previous from public.booking_timeline
        where booking_id = ${booking.id} and kind = 'rescheduled' order by id limit 1`;
      expect(entry).toMatchObject({ kind: 'rescheduled', actor: 'customer', reason: 'Visitors on Tuesday' });
      expect(new Date(entry!.previous as string)).toEqual(utcDay(3, 10));
    });
  });

  it('takes a new time only with a provider who could take a new booking; an admin may still move it', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, admin, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await transition(tx, kwame, booking.id, 'accepted');
      const move = (user: TestUser, to: Date) => asUser(tx, user, (q) => q`select * from public.reschedule_booking(${booking.id}, ${to})`);
      await tx`update public.providers set verification_status = 'unverified' where id = ${kwame.id}`;
      await expect(move(ama, utcDay(4, 10))).rejects.toMatchObject({ hint: 'provider_not_verified' });
      await tx`update public.providers set verification_status = 'verified', active = false where id = ${kwame.id}`;
      await expect(move(kwame, utcDay(4, 10))).rejects.toMatchObject({ hint: 'provider_inactive' });
      const [unmoved] = await tx`select starts_at from public.bookings where id = ${booking.id}`;
      expect(unmoved!.starts_at).toEqual(utcDay(3, 10));
      const [moved] = await move(admin, utcDay(4, 10));
      expect(moved!.starts_at).toEqual(utcDay(4, 10));
    });
  });

  it('re-checks the new time: taken, outside hours or too soon is refused and nothing moves', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx, { hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '18:00' })) });
      const ama = await createCustomer(tx);
      const kofi = await createCustomer(tx);
      const listing = await createListing(tx, kwame);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await requestBooking(tx, kofi, listing, utcDay(3, 14));
      const move = (to: Date) => asUser(tx, ama, (q) => q`select public.reschedule_booking(${booking.id}, ${to})`);
      await expect(move(utcDay(3, 14, 30))).rejects.toMatchObject({ code: 'PT409', hint: 'slot_unavailable' });
      await expect(move(utcDay(3, 19))).rejects.toMatchObject({ code: 'PT409', hint: 'outside_availability' });
      await expect(move(inHours(-1))).rejects.toMatchObject({ code: '22023', hint: 'slot_in_past' });
      // Overlapping its own current time is fine.
      await move(utcDay(3, 10, 30));
      const [row] = await tx`select starts_at from public.bookings where id = ${booking.id}`;
      expect(row?.starts_at).toEqual(utcDay(3, 10, 30));
    });
  });

  it('only requested or accepted bookings move, and only by their parties', async () => {
    await rollback(async (tx) => {
      const { kwame, yaw, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10));
      await expect(asUser(tx, yaw, (q) => q`select public.reschedule_booking(${booking.id}, ${utcDay(4, 10)})`)).rejects.toMatchObject({
        hint: 'booking_not_found',
      });
      await transition(tx, kwame, booking.id, 'declined');
      await expect(asUser(tx, ama, (q) => q`select public.reschedule_booking(${booking.id}, ${utcDay(4, 10)})`)).rejects.toMatchObject({
        code: 'PT409',
        hint: 'booking_not_reschedulable',
      });
    });
  });
});

describe('cancellation refunds', () => {
  it.each([
    ['72 hours', 72, '100.00', 15000n],
    ['30 hours', 30, '50.00', 7500n],
    ['10 hours', 10, '0.00', 0n],
  ])('a customer cancelling %s ahead gets the market’s tier back', async (_, hours, percent, minor) => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, inHours(hours));
      await transition(tx, kwame, booking.id, 'accepted');
      const [quote] = await asUser(tx, ama, (q) => q`select * from public.booking_refund_quote(${booking.id})`);
      expect(quote).toEqual({ refund_percent: percent, refund_minor: minor, currency_code: 'GHS' });
      await transition(tx, ama, booking.id, 'cancelled_by_customer', 'Plans changed');
      const [event] = await tx`
        select payload->>'refund_minor' as refund from public.booking_events
        where booking_id = ${booking.id} and event_type = 'booking.cancelled_by_customer'`;
      expect(event?.refund).toBe(String(minor));
      const [money] = await asService(tx, (q) => q`
        select private.booking_refund_fraction(${booking.id}) as fraction, private.booking_refund_minor(${booking.id}) as minor`);
      expect(Number(money!.fraction)).toBe(Number(percent) / 100);
      expect(money!.minor).toBe(minor);
    });
  });

  it('each market has its own tiers, which its admins set', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, admin, listing } = await scene(tx);
      const bobur = await createProvider(tx, { market: 'uz' });
      const dilnoza = await createCustomer(tx, 'uz');
      const uzListing = await createListing(tx, bobur, { priceMinor: 20000 });
      await asUser(tx, admin, async (q) => {
        await q`delete from public.cancellation_refund_tiers where market_code = 'uz'`;
        await q`insert into public.cancellation_refund_tiers (market_code, min_notice, refund_percent)
                values ('uz', interval '24 hours', 100), ('uz', interval '6 hours', 25), ('uz', interval '0', 0)`;
      });
      const quote = async (customer: TestUser, provider: TestUser, on: Listing, hours: number) => {
        const booking = await requestBooking(tx, customer, on, inHours(hours));
        await transition(tx, provider, booking.id, 'accepted');
        const [row] = await asUser(tx, customer, (q) => q`select refund_percent from public.booking_refund_quote(${booking.id})`);
        return row!.refund_percent;
      };
      expect(await quote(dilnoza, bobur, uzListing, 30)).toBe('100.00');
      expect(await quote(ama, kwame, listing, 30)).toBe('50.00');
      expect(await quote(dilnoza, bobur, uzListing, 10)).toBe('25.00');
      expect(await quote(ama, kwame, listing, 10)).toBe('0.00');
    });
  });

  it('a customer withdrawing a request the provider never accepted gets everything back, however late', async () => {
    await rollback(async (tx) => {
      const { ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, inHours(10));
      const [quote] = await asUser(tx, ama, (q) => q`select * from public.booking_refund_quote(${booking.id})`);
      expect(quote).toEqual({ refund_percent: '100.00', refund_minor: 15000n, currency_code: 'GHS' });
      await transition(tx, ama, booking.id, 'cancelled_by_customer', 'Found someone sooner');
      const [money] = await asService(tx, (q) => q`
        select private.booking_refund_fraction(${booking.id}) as fraction, private.booking_refund_minor(${booking.id}) as minor`);
      expect(Number(money!.fraction)).toBe(1);
      expect(money!.minor).toBe(15000n);
    });
  });

  it('a provider’s or admin’s cancellation refunds everything', async () => {
    await rollback(async (tx) => {
      const { kwame, ama, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, inHours(5));
      await transition(tx, kwame, booking.id, 'accepted');
      await transition(tx, kwame, booking.id, 'cancelled_by_provider', 'Sick');
      const [money] = await asService(tx, (q) => q`select private.booking_refund_minor(${booking.id}) as minor`);
      expect(money?.minor).toBe(15000n);
    });
  });

  it('the refund functions are for the service role; the quote only for the parties and admins', async () => {
    await rollback(async (tx) => {
      const { ama, kofi, admin, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, inHours(72));
      await expect(asUser(tx, ama, (q) => q`select private.booking_refund_fraction(${booking.id})`)).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, kofi, (q) => q`select * from public.booking_refund_quote(${booking.id})`)).rejects.toMatchObject({
        hint: 'booking_not_found',
      });
      expect(await asUser(tx, admin, (q) => q`select * from public.booking_refund_quote(${booking.id})`)).toHaveLength(1);
    });
  });
});

describe('who sees bookings', () => {
  it('the customer, the provider and admins see a booking with its address; nobody else does', async () => {
    await rollback(async (tx) => {
      const { kwame, yaw, ama, kofi, admin, listing } = await scene(tx);
      const booking = await requestBooking(tx, ama, listing, utcDay(3, 10), { address: '7 Labone Crescent' });
      const read = (user: TestUser) => asUser(tx, user, (q) => q`select address from public.bookings where id = ${booking.id}`);
      for (const user of [ama, kwame, admin]) expect(await read(user)).toEqual([{ address: '7 Labone Crescent' }]);
      for (const user of [kofi, yaw]) expect(await read(user)).toEqual([]);
      await expect(asAnon(tx, (q) => q`select address from public.bookings`)).rejects.toMatchObject({ code: '42501' });

      const timeline = (user: TestUser) => asUser(tx, user, (q) => q`select id from public.booking_timeline where booking_id = ${booking.id}`);
      for (const user of [ama, kwame, admin]) expect(await timeline(user)).toHaveLength(1);
      for (const user of [kofi, yaw]) expect(await timeline(user)).toEqual([]);

      const outbox = (user: TestUser) => asUser(tx, user, (q) => q`select id from public.booking_events where booking_id = ${booking.id}`);
      expect(await outbox(admin)).toHaveLength(1);
      for (const user of [ama, kwame, kofi]) expect(await outbox(user)).toEqual([]);
    });
  });

  it('“my bookings” lists a customer’s own bookings only, newest first', async () => {
    await rollback(async (tx) => {
      const { ama, kofi, listing } = await scene(tx);
      const early = await requestBooking(tx, ama, listing, utcDay(3, 8));
      const late = await requestBooking(tx, ama, listing, utcDay(5, 8));
      await requestBooking(tx, kofi, listing, utcDay(4, 8));
      const mine = await asUser(tx, ama, (q) => q`select id from public.bookings order by starts_at desc`);
      expect(mine.map((r) => r.id)).toEqual([late.id, early.id]);
      // The same through my_bookings, a page at a time.
      const [first] = await asUser(tx, ama, (q) => q`select id, starts_at from public.my_bookings(page_size => 1)`);
      expect(first?.id).toBe(late.id);
      const next = await asUser(tx, ama, (q) => q`
        select id from public.my_bookings(before => ${first!.starts_at}, before_id => ${first!.id}, page_size => 5)`);
      expect(next.map((r) => r.id)).toEqual([early.id]);
    });
  });

  it('one side of “my bookings” pages through the table as the app asks for it, ties in start time included', async () => {
    await rollback(async (tx) => {
      const { kwame, yaw, ama, kofi, listing } = await scene(tx);
      const other = await createListing(tx, yaw, { priceMinor: 9000 });
      const mine = [
        await requestBooking(tx, ama, listing, utcDay(3, 8)),
        await requestBooking(tx, ama, other, utcDay(3, 8)), // the same start with another provider
        await requestBooking(tx, ama, listing, utcDay(5, 8)),
        await requestBooking(tx, ama, other, utcDay(6, 8)),
      ];
      const theirs = await requestBooking(tx, kofi, listing, utcDay(4, 8));
      const newestFirst = (rows: { id: string; starts_at: Date }[]) =>
        [...rows].sort((a, b) => b.starts_at.getTime() - a.starts_at.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id);

      // GET /bookings?<side>_id=eq.<me>&order=starts_at.desc,id.desc&limit=1, then
      // &starts_at=lte.<last>&or=(starts_at.lt.<last>,id.lt.<last id>) for each next page.
      const pageThrough = async (user: TestUser, side: 'customer_id' | 'provider_id') => {
        const seen: string[] = [];
        let last: { id: string; starts_at: Date } | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await asUser(tx, user, (q) => q`
            select id, starts_at from public.bookings
            where ${q(side)} = ${user.id}
              and (${last?.starts_at ?? null}::timestamptz is null
                   or (starts_at <= ${last?.starts_at ?? null} and (starts_at < ${last?.starts_at ?? null} or id < ${last?.id ?? null})))
            order by starts_at desc, id desc
            limit 1`);
          seen.push(...page.map((r) => r.id as string));
          if (page.length === 0) break;
          last = page[page.length - 1] as { id: string; starts_at: Date };
        }
        return seen;
      };
      expect(await pageThrough(ama, 'customer_id')).toEqual(newestFirst(mine));
      expect(await pageThrough(kwame, 'provider_id')).toEqual(newestFirst([mine[0]!, mine[2]!, theirs]));
      expect(await pageThrough(yaw, 'provider_id')).toEqual(newestFirst([mine[1]!, mine[3]!]));
      // RLS, not the filter, keeps a stranger out: the same request for someone else's id is empty.
      expect(await asUser(tx, kofi, (q) => q`select id from public.bookings where customer_id = ${ama.id}`)).toEqual([]);
    });
  });

  it('my_bookings shows a provider the bookings of their listings, and only theirs', async () => {
    await rollback(async (tx) => {
      const { kwame, yaw, ama, kofi, listing } = await scene(tx);
      const a = await requestBooking(tx, ama, listing, utcDay(3, 8));
      const b = await requestBooking(tx, kofi, listing, utcDay(4, 8));
      const theirs = await asUser(tx, kwame, (q) => q`select id from public.my_bookings(as_role => 'provider')`);
      expect(theirs.map((r) => r.id)).toEqual([b.id, a.id]);
      expect(await asUser(tx, kwame, (q) => q`select id from public.my_bookings(as_role => 'customer')`)).toEqual([]);
      expect(await asUser(tx, yaw, (q) => q`select id from public.my_bookings()`)).toEqual([]);
      await expect(asAnon(tx, (q) => q`select * from public.my_bookings()`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('my_bookings without as_role merges both sides for a provider who also books, and pages across them', async () => {
    await rollback(async (tx) => {
      const { kwame, yaw, ama, listing } = await scene(tx);
      const yawsListing = await createListing(tx, yaw, { priceMinor: 9000 });
      // Kwame is booked by Ama and himself books Yaw: one row each side, interleaved in time.
      const asProvider = await requestBooking(tx, ama, listing, utcDay(3, 8));
      const asCustomer = await requestBooking(tx, kwame, yawsListing, utcDay(4, 8));
      const laterAsProvider = await requestBooking(tx, ama, listing, utcDay(5, 8));
      const all = await asUser(tx, kwame, (q) => q`select id from public.my_bookings()`);
      expect(all.map((r) => r.id)).toEqual([laterAsProvider.id, asCustomer.id, asProvider.id]);
      const [first, second] = await asUser(tx, kwame, (q) => q`select id, starts_at from public.my_bookings(page_size => 2)`);
      expect([first!.id, second!.id]).toEqual([laterAsProvider.id, asCustomer.id]);
      const rest = await asUser(tx, kwame, (q) => q`
        select id from public.my_bookings(before => ${second!.starts_at}, before_id => ${second!.id})`);
      expect(rest.map((r) => r.id)).toEqual([asProvider.id]);
      expect((await asUser(tx, kwame, (q) => q`select id from public.my_bookings(as_role => 'customer')`)).map((r) => r.id))
        .toEqual([asCustomer.id]);
      // Ama holds no provider role: only her own side, whichever way she asks.
      expect((await asUser(tx, ama, (q) => q`select id from public.my_bookings()`)).map((r) => r.id))
        .toEqual([laterAsProvider.id, asProvider.id]);
      expect(await asUser(tx, ama, (q) => q`select id from public.my_bookings(as_role => 'provider')`)).toEqual([]);
      expect(await asUser(tx, ama, (q) => q`select id from public.my_bookings(as_role => 'nobody')`)).toEqual([]);
    });
  });

  it('the status machine is public reference data nobody can change', async () => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      const rows = await asAnon(tx, (q) => q`select actor from public.booking_transitions where from_status = 'requested' and to_status = 'accepted'`);
      expect(rows).toEqual([{ actor: 'provider' }]);
      await expect(
        asUser(tx, admin, (q) => q`insert into public.booking_transitions (from_status, to_status, actor) values ('requested', 'completed', 'customer')`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });
});

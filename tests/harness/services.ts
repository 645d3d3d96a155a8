// Fixtures for the services marketplace: providers with a profile, base location and
// hours; categories; listings; bookings, each made the way the app makes them (as the
// user, through the API) unless a fixture needs a shortcut an admin or a job would take.
import { randomUUID } from 'node:crypto';
import { asUser, createUser, MARKET_PHONE_PREFIX, randomPhone, type Queryable, type Sql, type TestUser, type Tx } from './db.ts';

export type ServicesMarket = 'gh' | 'uz';

/** Base points of the seeded services markets: central Accra and central Tashkent. */
export const CITY = {
  gh: { lat: 5.5600, lng: -0.2050, timeZone: 'Africa/Accra' },
  uz: { lat: 41.2995, lng: 69.2401, timeZone: 'Asia/Tashkent' },
} as const;

export interface Hours {
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  start: string;
  end: string;
}

/** Every day, all day: tests that are not about hours can pick any future time. */
export const ALWAYS: Hours[] = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' }));

export interface NewProvider {
  market?: ServicesMarket;
  verified?: boolean;
  timeZone?: string;
  lat?: number;
  lng?: number;
  radiusM?: number;
  hours?: Hours[];
  businessName?: string;
}

export interface Provider extends TestUser {
  market: ServicesMarket;
  lat: number;
  lng: number;
  timeZone: string;
}

/** A customer in a services market. */
export async function createCustomer(q: Queryable, market: ServicesMarket = 'gh'): Promise<TestUser> {
  return createUser(q, { phone: randomPhone(MARKET_PHONE_PREFIX[market]), metadata: { market } });
}

/** An admin (their own market does not matter). */
export async function createAdmin(q: Queryable): Promise<TestUser> {
  return createUser(q, { roles: ['admin'] });
}

/**
 * A provider with a profile saved through save_provider_profile, weekly hours written
 * as the provider, and (by default) the verified badge set as an approval would.
 */
export async function createProvider(q: Queryable, options: NewProvider = {}): Promise<Provider> {
  const market = options.market ?? 'gh';
  const user = await createUser(q, {
    phone: randomPhone(MARKET_PHONE_PREFIX[market]),
    metadata: { market },
    roles: ['provider'],
  });
  const provider: Provider = {
    ...user,
    market,
    lat: options.lat ?? CITY[market].lat,
    lng: options.lng ?? CITY[market].lng,
    timeZone: options.timeZone ?? CITY[market].timeZone,
  };
  await asUser(q, provider, async (tx) => {
    await tx`
      select public.save_provider_profile(
        business_name => ${options.businessName ?? `Provider ${user.phone.slice(-4)}`},
        time_zone => ${provider.timeZone},
        lat => ${provider.lat},
        lng => ${provider.lng},
        service_radius_m => ${options.radiusM ?? 20000})`;
    for (const h of options.hours ?? ALWAYS) {
      await tx`
        insert into public.availability_rules (weekday, start_time, end_time)
        values (${h.weekday}, ${h.start}, ${h.end})`;
    }
  });
  if (options.verified ?? true) {
    await inSavepointOrTx(q, (tx) => tx`
      update public.providers set verification_status = 'verified', verified_at = now() where id = ${user.id}`);
  }
  return provider;
}

/** A fresh active category (created as an admin would), optionally under a parent. */
export async function createCategory(
  q: Queryable,
  options: { parentId?: string; name?: Record<string, string> } = {},
): Promise<string> {
  const slug = `test-${randomUUID().slice(0, 8)}`;
  const name = options.name ?? { en: `Category ${slug}` };
  const [row] = await inSavepointOrTx(q, (tx) => tx`
    insert into public.service_categories (parent_id, slug, name)
    values (${options.parentId ?? null}, ${slug}, ${JSON.stringify(name)}::text::jsonb)
    returning id`);
  return row!.id as string;
}

export interface NewListing {
  categoryId?: string;
  title?: Record<string, string>;
  description?: Record<string, string>;
  priceMinor?: number;
  pricingUnit?: 'fixed' | 'hourly' | 'per_visit';
  durationMinutes?: number;
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  minNoticeMinutes?: number;
  coverageRadiusM?: number | null;
  active?: boolean;
}

export interface Listing {
  id: string;
  provider_id: string;
  price_minor: bigint;
  duration_minutes: number;
  [column: string]: unknown;
}

/** A listing the provider creates themselves (a direct insert, as the app does). */
export async function createListing(q: Queryable, provider: TestUser, options: NewListing = {}): Promise<Listing> {
  const categoryId = options.categoryId ?? (await createCategory(q));
  const [row] = await asUser(q, provider, (tx) => tx`
    insert into public.service_listings
      (category_id, title, description, price_minor, pricing_unit, duration_minutes, buffer_before_minutes,
       buffer_after_minutes, min_notice_minutes, coverage_radius_m, active)
    values (
      ${categoryId},
      ${JSON.stringify(options.title ?? { en: 'Fix a leaking tap' })}::text::jsonb,
      ${JSON.stringify(options.description ?? {})}::text::jsonb,
      ${options.priceMinor ?? 10000},
      ${options.pricingUnit ?? 'fixed'},
      ${options.durationMinutes ?? 60},
      ${options.bufferBeforeMinutes ?? 0},
      ${options.bufferAfterMinutes ?? 0},
      ${options.minNoticeMinutes ?? 60},
      ${options.coverageRadiusM ?? null},
      ${options.active ?? true})
    returning *`);
  return row as unknown as Listing;
}

/** Midnight UTC `days` from today plus hours and minutes: with Africa/Accra (UTC+0) also local time. */
export function utcDay(days: number, hours = 0, minutes = 0): Date {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + days);
  d.setUTCHours(hours, minutes);
  return d;
}

/** YYYY-MM-DD of utcDay(days). */
export function utcDate(days: number): string {
  return utcDay(days).toISOString().slice(0, 10);
}

export interface BookingRequest {
  address?: string;
  lat?: number;
  lng?: number;
  notes?: string | null;
  idempotencyKey?: string;
}

export interface Booking {
  id: string;
  status: string;
  customer_id: string;
  provider_id: string;
  listing_id: string;
  starts_at: Date;
  ends_at: Date;
  price_minor: bigint;
  [column: string]: unknown;
}

/** request_booking as the customer, at an address near the listing's provider. */
export async function requestBooking(
  q: Queryable,
  customer: TestUser,
  listing: Listing,
  startsAt: Date,
  options: BookingRequest = {},
): Promise<Booking> {
  const [near] = await inSavepointOrTx(q, (tx) => tx`
    select lat + 0.01 as lat, lng as lng from public.provider_locations where provider_id = ${listing.provider_id}`);
  const [row] = await asUser(q, customer, (tx) => tx`
    select * from public.request_booking(
      listing_id => ${listing.id},
      starts_at => ${startsAt},
      address => ${options.address ?? '12 Oxford Street, Osu'},
      lat => ${options.lat ?? near!.lat},
      lng => ${options.lng ?? near!.lng},
      idempotency_key => ${options.idempotencyKey ?? randomUUID()},
      notes => ${options.notes ?? null})`);
  return row as unknown as Booking;
}

/** transition_booking as `user`. */
export async function transition(q: Queryable, user: TestUser, bookingId: string, to: string, reason: string | null = null): Promise<Booking> {
  const [row] = await asUser(q, user, (tx) => tx`
    select * from public.transition_booking(${bookingId}, ${to}, ${reason})`);
  return row as unknown as Booking;
}

/** A start just past a listing's default notice (60 minutes), on a whole minute: soon enough to start. */
export function soon(minutes = 65): Date {
  const d = new Date(Date.now() + minutes * 60_000);
  d.setUTCSeconds(0, 0);
  return d;
}

/** A booking that is under way: requested soon, accepted and started through the API. */
export async function startedBooking(q: Queryable, customer: TestUser, provider: TestUser, listing: Listing): Promise<Booking> {
  const booking = await requestBooking(q, customer, listing, soon());
  await transition(q, provider, booking.id, 'accepted');
  return transition(q, provider, booking.id, 'in_progress');
}

/** A booking that has reached `completed`: requested, accepted, started and completed through the API. */
export async function completedBooking(q: Queryable, customer: TestUser, provider: TestUser, listing: Listing): Promise<Booking> {
  const booking = await startedBooking(q, customer, provider, listing);
  return transition(q, provider, booking.id, 'completed');
}

/** An object as Storage records an upload, in the uploader's folder. */
export async function uploadObject(q: Queryable, user: TestUser, bucket: string, file: string): Promise<string> {
  const name = `${user.id}/${file}`;
  await inSavepointOrTx(q, (tx) => tx`
    insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
    values (${bucket}, ${name}, ${user.id}, ${user.id}, '{"mimetype": "application/pdf", "size": 1024}')`);
  return name;
}

/** Runs `fn` as the test's own (superuser) role, in a savepoint or a transaction of its own. */
export function inSavepointOrTx<T>(q: Queryable, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if ('savepoint' in q) return (q as Tx).savepoint((sp) => fn(sp as unknown as Tx)) as Promise<T>;
  return (q as Exclude<Queryable, Tx>).begin((tx) => fn(tx)) as Promise<T>;
}

/**
 * `count` providers in gh at random around `near` (±0.1°), written straight in SQL as
 * the superuser (sign-up by auth.users, profile, base): random service radius 5–45 km,
 * 85 % verified (or `verifiedShare`), 0–3 reviews' worth of rating, zones drawn from
 * `zones`. Returns their ids; callers add hours and listings.
 */
export async function createCrowd(
  q: Tx,
  options: { count: number; near: { lat: number; lng: number }; zones?: string[]; verifiedShare?: number },
): Promise<string[]> {
  const rows = await q`
    with users as (
      insert into auth.users (instance_id, id, aud, role, raw_user_meta_data, created_at, updated_at)
      select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
             '{"market": "gh"}', now(), now()
      from generate_series(1, ${options.count})
      returning id
    ),
    providers as (
      insert into public.providers (id, market_code, business_name, time_zone, service_radius_m, verification_status,
                                    rating_count, rating_sum)
      select u.id, 'gh', 'Crowd', (${options.zones ?? ['Africa/Accra']}::text[])[1 + floor(random() * ${(options.zones ?? ['Africa/Accra']).length})::int],
             5000 + (random() * 40000)::int,
             case when random() < ${options.verifiedShare ?? 0.85} then 'verified'::public.verification_status else 'unverified' end,
             c, c * (1 + floor(random() * 4.99))::int
      from users as u, lateral (select (random() * 3)::int + (u.id is null)::int as c) as x
      returning id
    )
    insert into public.provider_locations (provider_id, lat, lng)
    select id, ${options.near.lat} + (random() - 0.5) * 0.2, ${options.near.lng} + (random() - 0.5) * 0.2 from providers
    returning provider_id`;
  await q`analyze public.provider_locations`;
  return rows.map((r) => r.provider_id as string);
}

/**
 * Runs the booking-notice sender (committed, as the scheduler does) until none of these
 * bookings' events waits any more. Other test files run the sender inside transactions
 * they roll back, so they may hold some of these events for a moment.
 */
export async function notifyBookingEvents(sql: Sql, bookingIds: string[]): Promise<void> {
  for (let waited = 0; waited < 100; waited++) {
    const [left] = await sql`
      select count(*)::int as n from public.booking_events
      where booking_id = any(${bookingIds}::uuid[]) and notified_at is null`;
    if (left!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sql`select private.send_booking_notices()`;
  }
}

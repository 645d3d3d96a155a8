// Bulk data for the services scenarios (issue #3): providers with a profile, a base
// location in one of four cities, weekly hours, a verification history and a rating;
// listings in a category tree; and a million bookings. Shared by booking-race, search,
// my-bookings and review-insert, and made once per run (each step looks at what the
// database already holds), so `npm run bench` pays for it once and any one scenario
// run alone still gets the same world.
//
// How it is made, and why that does not change what the scenarios measure:
// - Provider accounts are real users: generateUsers inserts them into auth.users with
//   the sign-up trigger on (profile, account, customer role), in the services markets
//   gh and uz; the provider role is granted with its audit trigger on.
// - Everything else is INSERT … SELECT FROM generate_series, computed in SQL, with
//   `session_replication_role = replica` (as the bench superuser): that skips the
//   per-row foreign-key checks (the ids are correct by construction) and the triggers
//   whose work the SQL does itself, in bulk:
//     · service_listings_prepare (copies the provider's market onto the listing and
//       checks the category is active): the INSERT copies the market and picks only
//       active categories;
//     · reviews_apply_to_rating (providers.rating_count/rating_sum): the world's
//       providers get their aggregates set in bulk here, and review-insert adds its
//       million reviews' contributions in one UPDATE (growReviews there);
//     · service_listings_place (search's places, private.listing_places): placed in
//       bulk by private.place_listings after the listings are in, the places' indexes
//       built afterwards.
//   Providers, locations, hours and bookings have no INSERT trigger of their own.
//   Check constraints, primary keys and the booking_no_overlap exclusion constraint
//   are enforced row by row as usual.
// - The big tables (500k listings, 1M bookings, review-insert's 1M reviews) are loaded
//   in two halves on two connections (the machine has two cores), with their secondary
//   indexes and unique constraints dropped first and rebuilt afterwards from their own
//   definitions (bulkLoad, as pg_restore does): the same indexes, built sorted, so
//   somewhat denser than a million random insertions would leave them.
// - Then VACUUM ANALYZE and a CHECKPOINT, so no measured statement sets hint bits or
//   meets a checkpoint the load left behind.
// - Booking timelines and outbox events are not generated for the million bookings:
//   no measured statement reads them (request_booking only appends to them).
import postgres from 'postgres';
import { LOCAL_PASSWORD } from '../../scripts/db/local.ts';
import { PostgrestRunner } from './request.ts';
import type { BenchContext } from './scenario.ts';
import { sample, summarize, type MeasureOptions, type Stats, type Variant } from './timing.ts';
import { generateUsers } from './users.ts';

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;

export interface City {
  name: string;
  market: 'gh' | 'uz';
  lat: number;
  lng: number;
  timeZone: string;
  /** Share of the market's providers based here. */
  share: number;
  /** Standard deviation of providers' distance from the centre, in km. */
  spreadKm: number;
}

/** Two cities per services market; a provider's city follows the market of their profile. */
export const CITIES: City[] = [
  { name: 'Accra', market: 'gh', lat: 5.6037, lng: -0.187, timeZone: 'Africa/Accra', share: 0.7, spreadKm: 9 },
  { name: 'Kumasi', market: 'gh', lat: 6.6885, lng: -1.6244, timeZone: 'Africa/Accra', share: 0.3, spreadKm: 6 },
  { name: 'Tashkent', market: 'uz', lat: 41.2995, lng: 69.2401, timeZone: 'Asia/Tashkent', share: 0.7, spreadKm: 9 },
  { name: 'Samarkand', market: 'uz', lat: 39.6542, lng: 66.9597, timeZone: 'Asia/Tashkent', share: 0.3, spreadKm: 5 },
];

export const WORLD = {
  providers: 100_000,
  listingsPerProvider: 5,
  bookings: 1_000_000,
  /** Customers: the run's shared bench users (the first 100k). */
  customers: 100_000,
} as const;

/** Serial numbers of the world's provider accounts (phones, names): far from ctx.users'. */
const WORLD_PROVIDER_SERIAL = 70_000_001;
const WORLD_TAG = 'Bench world';
const ROWS_PER_STATEMENT = 250_000;

/** The seeded category roots, and the leaves under each (seeded and added here). */
const ROOTS = {
  'home-repair': 'ca7e0000-0000-4000-8000-000000000001',
  cleaning: 'ca7e0000-0000-4000-8000-000000000002',
  beauty: 'ca7e0000-0000-4000-8000-000000000003',
} as const;

/** Leaves the bench adds to the seeded six, so a category narrows search as in a real catalogue. */
const EXTRA_LEAVES: [keyof typeof ROOTS, string, string, string][] = [
  ['home-repair', 'bench-painting', 'Painting', 'Покраска'],
  ['home-repair', 'bench-roofing', 'Roofing', 'Кровля'],
  ['home-repair', 'bench-appliance-repair', 'Appliance repair', 'Ремонт техники'],
  ['home-repair', 'bench-locksmith', 'Locksmith', 'Замки'],
  ['home-repair', 'bench-tiling', 'Tiling', 'Плитка'],
  ['cleaning', 'bench-deep-cleaning', 'Deep cleaning', 'Генеральная уборка'],
  ['cleaning', 'bench-carpet-cleaning', 'Carpet cleaning', 'Чистка ковров'],
  ['cleaning', 'bench-pest-control', 'Pest control', 'Дезинсекция'],
  ['cleaning', 'bench-car-wash', 'Car wash', 'Автомойка'],
  ['beauty', 'bench-nails', 'Nails', 'Маникюр'],
  ['beauty', 'bench-makeup', 'Make-up', 'Макияж'],
  ['beauty', 'bench-massage', 'Massage', 'Массаж'],
  ['beauty', 'bench-barber', 'Barber', 'Барбер'],
  ['beauty', 'bench-braiding', 'Braiding', 'Плетение кос'],
];

export interface Categories {
  roots: string[];
  leaves: string[];
}

/** The category tree search filters on: the seeded roots and leaves plus the bench's leaves. */
export async function ensureCategories(admin: Sql): Promise<Categories> {
  await admin`
    insert into public.service_categories (parent_id, slug, name, position)
    select r.id, c.slug, jsonb_build_object('en', c.en, 'ru', c.ru), c.position::int
    from unnest(${EXTRA_LEAVES.map((l) => l[0])}::text[], ${EXTRA_LEAVES.map((l) => l[1])}::text[],
                ${EXTRA_LEAVES.map((l) => l[2])}::text[], ${EXTRA_LEAVES.map((l) => l[3])}::text[])
           with ordinality as c (root, slug, en, ru, position)
    join (select * from unnest(${Object.keys(ROOTS)}::text[], ${Object.values(ROOTS)}::uuid[]) as r (slug, id)) as r
      on r.slug = c.root
    on conflict (slug) do nothing`;
  const rows = await admin<{ id: string; parent_id: string | null }[]>`
    select c.id, c.parent_id from public.service_categories as c
    where c.active and (c.id = any(${Object.values(ROOTS)}::uuid[]) or c.parent_id = any(${Object.values(ROOTS)}::uuid[]))
    order by c.id`;
  return { roots: rows.filter((r) => r.parent_id === null).map((r) => r.id), leaves: rows.filter((r) => r.parent_id !== null).map((r) => r.id) };
}

export interface ProviderOptions {
  /** Marks the providers' business names ('<tag> <n>'): how a later step finds them. */
  tag: string;
  count: number;
  /** First serial number of their accounts (see generateUsers). */
  serialFrom: number;
  listingsPerProvider: number;
  /**
   * 'varied': five weekly-hours shapes, one in ten with a day off, 85 % verified, 80 %
   * rated, 97 % active, listings of many shapes; 'uniform': open around the clock,
   * verified, active, unrated, every listing as `listing` says.
   */
  profile: 'varied' | 'uniform';
  /** Listing shape for 'uniform' providers (one fixed-price service). */
  listing?: { durationMinutes: number; bufferMinutes: number; minNoticeMinutes: number; priceMinor: number };
  /** Markets of the accounts, round-robin. */
  markets?: ('gh' | 'uz')[];
  log?: (line: string) => void;
}

/** The accounts a previous, interrupted attempt made for these serial numbers, if all are there. */
async function existingAccounts(admin: Sql, from: number, count: number): Promise<string[] | null> {
  const rows = await admin<{ id: string }[]>`
    select u.id from generate_series(${from}::int, ${from + count - 1}::int) as g
    join auth.users as u on u.raw_user_meta_data ->> 'display_name' = 'Bench user ' || g
    order by g`;
  if (rows.length === 0) return null;
  if (rows.length !== count) throw new Error(`${rows.length} of ${count} accounts from serial ${from} exist`);
  return rows.map((r) => r.id);
}

/** Ids of the providers made with `tag`, in serial order. */
export async function providersTagged(admin: Sql, tag: string): Promise<string[]> {
  const rows = await admin<{ id: string }[]>`
    select id from public.providers
    where business_name like ${`${tag} %`}
    order by substr(business_name, ${tag.length + 2})::int`;
  return rows.map((r) => r.id);
}

/**
 * Providers as described at the top of this file; returns their ids in serial order.
 * Does nothing but look them up when providers with this tag already exist.
 */
export async function ensureProviders(admin: Sql, adminUrl: string, options: ProviderOptions): Promise<string[]> {
  const existing = await providersTagged(admin, options.tag);
  if (existing.length >= options.count) return existing.slice(0, options.count);
  if (existing.length > 0) throw new Error(`${existing.length} providers tagged ${options.tag}, expected 0 or ${options.count}`);
  const log = options.log ?? (() => undefined);
  const categories = await ensureCategories(admin);

  const ids = await existingAccounts(admin, options.serialFrom, options.count) ?? await generateUsers(admin, {
    from: options.serialFrom,
    count: options.count,
    markets: options.markets ?? ['gh', 'uz'],
    log: (line) => log(`  provider accounts:${line.replace(/^\s*users/, '')}`),
  });
  const varied = options.profile === 'varied';

  await admin.begin(async (tx) => {
    await tx`select setseed(0.3)`;
    // The provider role, granted as an admin would (its audit trigger on).
    await timedStep(log, 'provider role', () => tx`
      insert into public.user_roles (user_id, role)
      select id, 'provider' from unnest(${ids}::uuid[]) as id
      on conflict do nothing`);
    // Bulk data, not under test: see the top of the file (foreign keys skipped, ids are
    // correct by construction; providers have no insert trigger).
    await tx`set local session_replication_role = replica`;
    // Ratings: the aggregate reviews_apply_to_rating keeps, set in bulk (80 % rated,
    // 1–250 reviews, averages skewed high as on real marketplaces).
    await timedStep(log, 'providers', () => tx`
      with r as materialized (
        select x.id, x.n::int as n, random() as active, random() as verified, random() as rated, random() as many,
               random() as stars
        from unnest(${ids}::uuid[]) with ordinality as x (id, n)
      )
      insert into public.providers (id, market_code, business_name, bio, skills, years_experience, service_radius_m,
                                    time_zone, active, verification_status, verified_at, rating_count, rating_sum,
                                    created_at)
      select r.id, p.market_code, ${options.tag} || ' ' || r.n,
             jsonb_build_object('en', 'Reliable, insured and on time. Provider ' || r.n || '.'),
             case when ${varied} then array['repairs', 'installation', 'maintenance'] else '{}' end,
             (r.n % 30)::smallint,
             case when ${varied} then 5000 + (r.n * 7919 % 21) * 1000 else 20000 end,
             case p.market_code when 'uz' then 'Asia/Tashkent' else 'Africa/Accra' end,
             not ${varied} or r.active < 0.97,
             (case when not ${varied} or r.verified < 0.85 then 'verified'
                   when r.verified < 0.95 then 'pending' else 'unverified' end)::public.verification_status,
             case when not ${varied} or r.verified < 0.85 then now() - interval '20 days' end,
             rated.count, rated.sum,
             now() - interval '400 days' + r.n * interval '1 minute'
      from r
      join public.profiles as p on p.id = r.id
      cross join lateral (
        select case when ${varied} and r.rated < 0.8 then c.count else 0 end as count,
               case when ${varied} and r.rated < 0.8
                    then least(5 * c.count, greatest(c.count, round(c.count * (5 - 2.2 * power(r.stars, 1.5)))))::bigint
                    else 0 end as sum
        from (select 1 + floor(power(r.many, 2) * 250)::int as count) as c
      ) as rated
      order by r.n`);
    // Approvals behind the badges, and the open requests of pending providers.
    await timedStep(log, 'verifications', () => tx`
      insert into public.provider_verifications (provider_id, status, document_paths, submitted_at, decided_at)
      select p.id, case p.verification_status when 'verified' then 'approved' else 'pending' end::public.verification_request_status,
             array[p.id::text || '/national-id.pdf'], now() - interval '25 days',
             case when p.verification_status = 'verified' then now() - interval '20 days' end
      from public.providers as p
      where p.id = any(${ids}::uuid[]) and p.verification_status in ('verified', 'pending')`);
    // Base locations: the market's two cities by their shares, a normal spread around
    // each centre (Box–Muller, capped at three standard deviations).
    await timedStep(log, 'locations', () => tx`
      with r as materialized (
        select p.id, p.market_code, p.created_at, random() as pick, random() as u1, random() as u2
        from public.providers as p
        where p.id = any(${ids}::uuid[])
      )
      insert into public.provider_locations (provider_id, lat, lng)
      select r.id,
             c.lat + d.north_km / 111.32,
             c.lng + d.east_km / (111.32 * cos(radians(c.lat)))
      from r
      join (select * from unnest(${CITIES.map((c) => c.market)}::text[], ${CITIES.map((c) => c.lat)}::float8[],
                                 ${CITIES.map((c) => c.lng)}::float8[], ${cityShareBounds().map((b) => b[0])}::float8[],
                                 ${cityShareBounds().map((b) => b[1])}::float8[], ${CITIES.map((c) => c.spreadKm)}::float8[])
                   as c (market, lat, lng, lo, hi, spread)) as c
        on c.market = r.market_code and r.pick >= c.lo and r.pick < c.hi
      cross join lateral (
        select least(3.0, sqrt(-2 * ln(1 - r.u1))) * c.spread * cos(2 * pi() * r.u2) as north_km,
               least(3.0, sqrt(-2 * ln(1 - r.u1))) * c.spread * sin(2 * pi() * r.u2) as east_km
      ) as d
      order by r.created_at`);
    // Weekly hours in five shapes (weekdays, six days, every day, a lunch break, Tue–Sun),
    // or open all the time.
    await timedStep(log, 'weekly hours', () => tx`
      with patterns (pattern, days, start_time, end_time) as (
        values (0, '{1,2,3,4,5}'::int[], '08:00'::time, '18:00'::time),
               (1, '{1,2,3,4,5,6}', '09:00', '17:00'),
               (2, '{1,2,3,4,5,6,7}', '07:00', '21:00'),
               (3, '{1,2,3,4,5}', '08:00', '12:00'),
               (3, '{1,2,3,4,5}', '13:00', '18:00'),
               (4, '{2,3,4,5,6,7}', '10:00', '20:00'),
               (9, '{1,2,3,4,5,6,7}', '00:00', '24:00')
      )
      insert into public.availability_rules (provider_id, weekday, start_time, end_time)
      select u.id, d.day, pt.start_time, pt.end_time
      from (select x.id, x.n::int as n from unnest(${ids}::uuid[]) with ordinality as x (id, n)) as u
      join patterns as pt on pt.pattern = case when ${varied} then (u.n % 5)::int else 9 end
      cross join unnest(pt.days) as d (day)
      order by u.n, d.day`);
    if (varied) {
      // One provider in ten takes a day off in the next two weeks.
      await timedStep(log, 'time off', () => tx`
        insert into public.availability_exceptions (provider_id, kind, on_date, note)
        select u.id, 'time_off', current_date + (1 + u.n % 14)::int, 'Family event'
        from (select x.id, x.n::int as n from unnest(${ids}::uuid[]) with ordinality as x (id, n)) as u
        where u.n % 10 = 3`);
    }
  });
  // Listings (prepare_listing's work done here: the provider's market, active leaves),
  // in two halves on two connections.
  const listingRows = (half: number, halves: number) => (tx: Tx) => tx`
      with leaves as (
        select c.id, c.parent_id, c.name, (row_number() over (partition by c.parent_id order by c.slug) - 1)::int as i,
               count(*) over (partition by c.parent_id)::int as siblings,
               (array_position(${categories.roots}::uuid[], c.parent_id) - 1) as root
        from public.service_categories as c
        where c.id = any(${categories.leaves}::uuid[])
      )
      insert into public.service_listings (provider_id, category_id, market_code, title, description, price_minor,
                                           pricing_unit, duration_minutes, buffer_before_minutes, buffer_after_minutes,
                                           min_notice_minutes, coverage_radius_m, active, created_at)
      select u.id, l.id, p.market_code,
             case when p.market_code = 'uz'
                  then jsonb_build_object('en', (l.name ->> 'en') || ' ' || (k + 1), 'ru', (l.name ->> 'ru') || ' ' || (k + 1))
                  else jsonb_build_object('en', (l.name ->> 'en') || ' ' || (k + 1)) end,
             jsonb_build_object('en', 'Professional ' || lower(l.name ->> 'en') || ', materials on request.'),
             case when ${varied} then 2000 + (u.n * 31 + k * 977) % 48000 else ${options.listing?.priceMinor ?? 10000} end,
             (case when ${varied} and k = 3 then 'hourly' else 'fixed' end)::public.pricing_unit,
             case when ${varied} then (array[30, 60, 90, 120, 180])[1 + (u.n + k) % 5] else ${options.listing?.durationMinutes ?? 60} end,
             case when ${varied} then (u.n + k) % 2 * 15 else ${options.listing?.bufferMinutes ?? 0} end,
             case when ${varied} then (u.n + k) % 2 * 15 else ${options.listing?.bufferMinutes ?? 0} end,
             case when ${varied} then (array[60, 120, 240])[1 + (u.n + k) % 3] else ${options.listing?.minNoticeMinutes ?? 60} end,
             case when ${varied} and (u.n + k) % 10 = 0 then 3000 + (u.n % 6) * 1000 end,
             not ${varied} or (u.n * 13 + k) % 20 <> 0,
             p.created_at + k * interval '1 day'
      from (select x.id, x.n::int as n from unnest(${ids}::uuid[]) with ordinality as x (id, n)) as u
      join public.providers as p on p.id = u.id
      cross join generate_series(0, ${options.listingsPerProvider - 1}) as k
      -- The branch follows n mod 3 and the market n mod 2; the leaves follow n / 6, so
      -- every leaf is offered in both markets.
      join leaves as l on l.root = u.n % 3 and l.i = (u.n / 6 + k) % l.siblings
      where u.n % ${halves} = ${half}
      order by u.n, k`;
  const bulk = options.count * options.listingsPerProvider >= 50_000;
  await bulkLoad(adminUrl, {
    table: 'public.service_listings',
    label: 'listings',
    rebuildIndexes: bulk,
    jobs: bulk ? [listingRows(0, 2), listingRows(1, 2)] : [listingRows(0, 1)],
    log,
  });
  // Search's places (what the listings' insert trigger, skipped in replica mode, does
  // row by row: private.place_listings), their indexes built afterwards.
  const halves = bulk ? 2 : 1;
  await bulkLoad(adminUrl, {
    table: 'private.listing_places',
    label: 'search places',
    rebuildIndexes: bulk,
    jobs: Array.from({ length: halves }, (_, half) => async (tx: Tx) => {
      const mine = ids.filter((_, i) => i % halves === half);
      await tx`
        select private.place_listings(array(
          select l.id from public.service_listings as l where l.provider_id = any(${mine}::uuid[])))`;
      const [{ count }] = (await tx`
        select count(*)::int as count from private.listing_places as lp
        where lp.provider_id = any(${mine}::uuid[])`) as unknown as [{ count: number }];
      return { count };
    }),
    log,
  });
  for (const table of ['public.providers', 'public.provider_locations', 'public.provider_verifications',
    'public.availability_rules', 'public.availability_exceptions', 'public.service_listings', 'public.user_roles',
    'private.listing_places']) {
    await admin.unsafe(`vacuum analyze ${table}`);
  }
  return ids;
}

/** The 100k world providers with five listings each (see ensureProviders). */
export async function ensureWorldProviders(ctx: BenchContext): Promise<string[]> {
  const existing = await providersTagged(ctx.admin, WORLD_TAG);
  if (existing.length >= WORLD.providers) return existing;
  ctx.log(`  world: ${WORLD.providers.toLocaleString('en')} providers, ${(WORLD.providers * WORLD.listingsPerProvider).toLocaleString('en')} listings`);
  const started = performance.now();
  const ids = await ensureProviders(ctx.admin, ctx.db.adminUrl, {
    tag: WORLD_TAG,
    count: WORLD.providers,
    serialFrom: WORLD_PROVIDER_SERIAL,
    listingsPerProvider: WORLD.listingsPerProvider,
    profile: 'varied',
    log: ctx.log,
  });
  ctx.log(`  world providers and listings in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ids;
}

export interface World {
  providers: string[];
  customers: string[];
}

/**
 * The world with its million bookings: 95 % in the past two years (completed, some
 * cancelled, declined or expired), 5 % ahead (requested or accepted, one per provider,
 * so booking_no_overlap holds), each by a random customer for a random listing, written
 * in random customer order as real traffic interleaves them.
 */
export async function ensureWorld(ctx: BenchContext): Promise<World> {
  const customers = await ctx.users(WORLD.customers);
  const providers = await ensureWorldProviders(ctx);
  const [{ have }] = (await ctx.admin`
    select count(*)::int as have from public.bookings where idempotency_key like 'bench-world-%'`) as unknown as [{ have: number }];
  if (have >= WORLD.bookings) return { providers, customers };
  if (have > 0) throw new Error(`${have} world bookings, expected 0 or ${WORLD.bookings}`);
  const started = performance.now();
  const future = Math.floor(WORLD.bookings * 0.05);
  const past = WORLD.bookings - future;
  /** Lookup tables for one loading transaction: listings and customers numbered from 1 and 0. */
  const lookups = async (tx: Tx): Promise<number> => {
    await tx`
      create temporary table bench_listings on commit drop as
      select (row_number() over (order by l.id))::int as k, l.id, l.provider_id, l.market_code, l.price_minor,
             l.pricing_unit, l.duration_minutes, l.buffer_before_minutes, l.buffer_after_minutes,
             p.time_zone, m.currency_code, pl.lat, pl.lng
      from public.service_listings as l
      join public.providers as p on p.id = l.provider_id
      join public.provider_locations as pl on pl.provider_id = l.provider_id
      join public.markets as m on m.code = l.market_code
      where p.business_name like ${`${WORLD_TAG} %`}`;
    await tx`create unique index on bench_listings (k)`;
    await tx`
      create temporary table bench_customers on commit drop as
      select (n - 1)::int as k, id from unnest(${customers}::uuid[]) with ordinality as c (id, n)`;
    await tx`create unique index on bench_customers (k)`;
    await tx`analyze bench_listings`;
    await tx`analyze bench_customers`;
    const [{ listings }] = (await tx`select count(*)::int as listings from bench_listings`) as unknown as [{ listings: number }];
    return listings;
  };
  // Past bookings, in two halves on two connections.
  const pastRows = (from: number, to: number) => async (tx: Tx) => {
    const listings = await lookups(tx);
    await tx`select setseed(${from / WORLD.bookings})`;
    return tx`
        insert into public.bookings (listing_id, provider_id, customer_id, market_code, status, starts_at, ends_at, occupied,
                                     time_zone, price_minor, currency_code, pricing_unit, address, lat, lng, idempotency_key,
                                     expires_at, status_changed_at, accepted_at, started_at, completed_at, cancelled_at,
                                     created_at, updated_at)
        select l.id, l.provider_id, c.id, l.market_code, s.status, t.starts_at, t.ends_at,
               tstzrange(t.starts_at - make_interval(mins => l.buffer_before_minutes),
                         t.ends_at + make_interval(mins => l.buffer_after_minutes)),
               l.time_zone,
               case l.pricing_unit when 'hourly' then (l.price_minor * l.duration_minutes + 59) / 60 else l.price_minor end,
               l.currency_code, l.pricing_unit, 'House ' || (r.g % 300 + 1) || ', Bench Street',
               l.lat + 0.01, l.lng, 'bench-world-' || r.g,
               t.created_at + interval '24 hours',
               t.changed_at,
               case when s.status in ('completed', 'cancelled_by_customer') then t.created_at + interval '2 hours' end,
               case when s.status = 'completed' then t.starts_at end,
               case when s.status = 'completed' then t.ends_at end,
               case when s.status = 'cancelled_by_customer' then t.changed_at end,
               t.created_at, t.changed_at
        from (
          select g, random() as listing, random() as customer, random() as age, random() as outcome
          from generate_series(${from}::int, ${to}::int) as g
          offset 0
        ) as r
        join bench_listings as l on l.k = 1 + floor(r.listing * ${listings})::int
        join bench_customers as c on c.k = floor(r.customer * ${WORLD.customers})::int
        cross join lateral (
          select case when r.outcome < 0.895 then 'completed'
                      when r.outcome < 0.947 then 'cancelled_by_customer'
                      when r.outcome < 0.979 then 'declined'
                      else 'expired' end::public.booking_status as status
        ) as s
        cross join lateral (
          select st as starts_at, st + make_interval(mins => l.duration_minutes) as ends_at,
                 st - interval '3 days' as created_at,
                 st + make_interval(mins => l.duration_minutes) + interval '1 hour' as changed_at
          from (select date_bin(interval '30 minutes', now() - interval '2 days' - r.age * interval '730 days',
                                timestamptz '2000-01-01') as st) as x
        ) as t
        order by r.g`;
  };
  // Ahead: one holding booking for half the providers (their first listing), on a day
  // of the next two weeks, so no two overlap.
  const futureRows = async (tx: Tx) => {
    await lookups(tx);
    return tx`
      insert into public.bookings (listing_id, provider_id, customer_id, market_code, status, starts_at, ends_at, occupied,
                                   time_zone, price_minor, currency_code, pricing_unit, address, lat, lng, idempotency_key,
                                   expires_at, status_changed_at, accepted_at, created_at, updated_at)
      select l.id, l.provider_id, c.id, l.market_code, s.status, t.starts_at, t.ends_at,
             tstzrange(t.starts_at - make_interval(mins => l.buffer_before_minutes),
                       t.ends_at + make_interval(mins => l.buffer_after_minutes)),
             l.time_zone,
             case l.pricing_unit when 'hourly' then (l.price_minor * l.duration_minutes + 59) / 60 else l.price_minor end,
             l.currency_code, l.pricing_unit, 'House ' || (f.n % 300 + 1) || ', Bench Street',
             l.lat + 0.01, l.lng, 'bench-world-' || (${past} + f.n),
             case when s.status = 'requested' then least(now() + interval '24 hours', t.starts_at) end,
             now() - interval '1 hour',
             case when s.status = 'accepted' then now() - interval '1 hour' end,
             now() - interval '2 hours', now() - interval '1 hour'
      from (
        select row_number() over (order by random()) as n, first.id as listing_id
        from (select distinct on (provider_id) id, provider_id from bench_listings order by provider_id, k) as first
      ) as f
      join bench_listings as l on l.id = f.listing_id
      join bench_customers as c on c.k = (f.n * 7919) % ${WORLD.customers}
      cross join lateral (select (case when f.n % 3 = 0 then 'requested' else 'accepted' end)::public.booking_status as status) as s
      cross join lateral (
        select st as starts_at, st + make_interval(mins => l.duration_minutes) as ends_at
        from (select ((current_date + (1 + f.n % 14)::int)::timestamp + interval '10 hours' + (f.n % 6) * interval '1 hour')
                     at time zone l.time_zone as st) as x
      ) as t
      where f.n <= ${future}
      order by f.n`;
  };
  const half = Math.ceil(past / 2);
  await bulkLoad(ctx.db.adminUrl, {
    table: 'public.bookings',
    label: 'bookings',
    rebuildIndexes: true,
    jobs: [pastRows(1, half), pastRows(half + 1, past), futureRows],
    log: ctx.log,
  });
  await ctx.admin`vacuum analyze public.bookings`;
  await ctx.admin`checkpoint`;
  ctx.log(`  ${WORLD.bookings.toLocaleString('en')} bookings in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { providers, customers };
}

/**
 * Drops a table's secondary indexes and unique constraints (not its primary key, not
 * exclusion constraints); returns the statements that make them again, as they were.
 */
export async function dropSecondaryIndexes(sql: Sql | Tx, table: string): Promise<string[]> {
  const constraints = await sql<{ name: string; definition: string }[]>`
    select conname as name, pg_get_constraintdef(oid) as definition
    from pg_constraint
    where conrelid = ${table}::regclass and contype = 'u'`;
  const indexes = await sql<{ name: string; definition: string }[]>`
    select i.relname as name, pg_get_indexdef(i.oid) as definition
    from pg_index as x join pg_class as i on i.oid = x.indexrelid
    where x.indrelid = ${table}::regclass and not x.indisprimary
      and not exists (select from pg_constraint as c where c.conindid = i.oid)`;
  const schema = table.split('.')[0]!;
  for (const c of constraints) await sql.unsafe(`alter table ${table} drop constraint ${c.name}`);
  for (const i of indexes) await sql.unsafe(`drop index ${schema}.${i.name}`);
  return [
    ...indexes.map((i) => i.definition),
    ...constraints.map((c) => `alter table ${table} add constraint ${c.name} ${c.definition}`),
  ];
}

/**
 * Runs INSERT jobs on two superuser connections at once (the machine has two cores),
 * each in its own transaction with session_replication_role = replica (see the top of
 * the file). With `rebuildIndexes`, the table's secondary indexes and unique
 * constraints are dropped first and built again from their own definitions afterwards
 * (as pg_restore does): a sorted build is several times faster than a million random
 * index insertions, and leaves the same indexes.
 */
export async function bulkLoad(
  adminUrl: string,
  options: { table: string; label: string; rebuildIndexes: boolean; jobs: ((tx: Tx) => Promise<{ count: number }>)[]; log: (line: string) => void },
): Promise<void> {
  const sql = postgres(adminUrl, { max: 2, onnotice: () => undefined });
  const started = performance.now();
  try {
    const rebuild = options.rebuildIndexes ? await dropSecondaryIndexes(sql, options.table) : [];
    try {
      let rows = 0;
      await inTwos(options.jobs, async (job) => {
        const result = await sql.begin(async (tx) => {
          await tx`set local session_replication_role = replica`;
          return job(tx);
        });
        rows += result.count;
      });
      options.log(`    ${options.label}: ${rows.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      const building = performance.now();
      await inTwos(rebuild, async (statement) => {
        await sql.begin(async (tx) => {
          await tx`set local maintenance_work_mem = '256MB'`;
          await tx.unsafe(statement);
        });
      });
      if (rebuild.length > 0) {
        options.log(`    ${options.label}: ${rebuild.length} indexes rebuilt in ${((performance.now() - building) / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs `fn` over `items`, two at a time. */
async function inTwos<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all([worker(), worker()]);
}

/**
 * A pool of `size` connections as `authenticator` (the admin URL where its password is
 * unknown, as bench/run.ts does), driven like PostgREST's pool: concurrent requests
 * each take a connection of their own. End it with `end()`.
 */
export async function apiPool(ctx: BenchContext, size: number): Promise<{ runner: PostgrestRunner; end: () => Promise<void> }> {
  const url = new URL(ctx.db.url);
  url.username = 'authenticator';
  url.password = LOCAL_PASSWORD;
  let sql = postgres(url.toString(), { max: size, onnotice: () => undefined, idle_timeout: 0 });
  try {
    await sql`select 1`;
  } catch {
    await sql.end({ timeout: 1 });
    sql = postgres(ctx.db.adminUrl, { max: size, onnotice: () => undefined });
  }
  const runner = await PostgrestRunner.create(sql);
  // Open every connection now, so no measured request pays for a connect.
  await Promise.all(Array.from({ length: size }, () => sql.begin(async (tx) => tx`select pg_sleep(0.05)`)));
  return { runner, end: () => sql.end({ timeout: 5 }) };
}

/** All of `items` in a random order (Fisher–Yates with the given PRNG). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs one generation statement and logs how long it took and how many rows it wrote. */
async function timedStep(log: (line: string) => void, label: string, run: () => Promise<{ count: number }>): Promise<void> {
  const started = performance.now();
  const result = await run();
  log(`    ${label}: ${result.count.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** [lo, hi) of each city's share within its market, in CITIES order. */
function cityShareBounds(): [number, number][] {
  const seen = new Map<string, number>();
  return CITIES.map((c) => {
    const lo = seen.get(c.market) ?? 0;
    seen.set(c.market, lo + c.share);
    // The market's last city takes everything up to 1, whatever rounding left.
    const last = CITIES.filter((x) => x.market === c.market).at(-1) === c;
    return [lo, last ? 1.000001 : lo + c.share];
  });
}

/** A point around one of the cities, drawn like the providers' bases (Box–Muller). */
export function randomPoint(random: () => number): { city: City; lat: number; lng: number } {
  const market = random() < 0.5 ? 'gh' : 'uz';
  const [first, second] = CITIES.filter((c) => c.market === market) as [City, City];
  const city = random() < first.share ? first : second;
  const radius = Math.min(3, Math.sqrt(-2 * Math.log(1 - random()))) * city.spreadKm;
  const angle = 2 * Math.PI * random();
  return {
    city,
    lat: city.lat + (radius * Math.cos(angle)) / 111.32,
    lng: city.lng + (radius * Math.sin(angle)) / (111.32 * Math.cos((city.lat * Math.PI) / 180)),
  };
}

/**
 * Like measureInterleaved, for three or more variants: iteration i runs every variant
 * once, starting from variant i mod n, so each runs first (on the coldest pages),
 * second and third equally often. All variants see the same `i`.
 */
export async function measureRotating<K extends string>(
  variants: Record<K, Variant>,
  options: MeasureOptions,
): Promise<Record<K, Stats>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < options.warmup + options.iterations; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      const ms = await sample(variants[name], i);
      if (i >= options.warmup) samples[name].push(ms);
    }
  }
  return Object.fromEntries(names.map((k) => [k, summarize(samples[k])])) as Record<K, Stats>;
}

// Search reads private.listing_places (each listing's place under every category it is
// in, with what search filters on first) and tests a start time against the weekly
// hours before the full availability check. These tests hold both to the source
// tables: the places follow every change the triggers are meant to catch, the weekly
// test never turns away a bookable start (DST and extra hours included), and the search
// screen's query returns exactly what a brute-force scan with is_bookable_start does.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, rollback, type Tx } from '../harness/db.ts';
import {
  createCategory,
  createCrowd,
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  utcDay,
  type Listing,
} from '../harness/services.ts';

// Northern Ghana, far from the seeded providers and from search.test.ts's crowd.
const HERE = { lat: 10.2, lng: -0.8 };
const ANY_CATEGORY = '00000000-0000-0000-0000-000000000000';

function search(tx: Tx, args: Record<string, unknown>): Promise<{ listing_id: string; next_slot_at: Date | null }[]> {
  const names = Object.keys(args);
  const call = names.map((name, i) => `${name} => $${i + 1}`).join(', ');
  return asAnon(tx, (q) => q.unsafe(`select listing_id, next_slot_at from public.search_services(${call})`, Object.values(args) as never[])) as Promise<{ listing_id: string; next_slot_at: Date | null }[]>;
}

/** The places of `listings` as stored, and as placed afresh from the source tables. */
async function storedAndFresh(tx: Tx, listings: string[]) {
  const read = () => tx`
    select listing_id, category_id, location::text, provider_id, market_code, searchable, verified, rating::text,
           price_minor::text, reach_m, time_zone, weekly_hours::text, extra_hours_until::text
    from private.listing_places where listing_id = any(${listings}::uuid[])
    order by listing_id, category_id`;
  const stored = await read();
  await tx`savepoint fresh`;
  await tx`select private.place_listings(${listings}::uuid[])`;
  const fresh = await read();
  await tx`rollback to savepoint fresh`;
  return { stored: [...stored], fresh: [...fresh] };
}

describe('search places', () => {
  it('place each listing under its category, every ancestor and "any category"', async () => {
    await rollback(async (tx) => {
      const root = await createCategory(tx);
      const branch = await createCategory(tx, { parentId: root });
      const leaf = await createCategory(tx, { parentId: branch });
      const provider = await createProvider(tx, { ...HERE });
      const listing = await createListing(tx, provider, { categoryId: leaf });
      const rows = await tx`select category_id from private.listing_places where listing_id = ${listing.id}`;
      expect(rows.map((r) => r.category_id).sort()).toEqual([root, branch, leaf, ANY_CATEGORY].sort());
    });
  });

  it('follow every change to listings, providers, bases, hours, exceptions and the category tree', async () => {
    await rollback(async (tx) => {
      const root = await createCategory(tx);
      const other = await createCategory(tx);
      const leaf = await createCategory(tx, { parentId: root });
      const a = await createProvider(tx, { ...HERE, hours: [{ weekday: 1, start: '09:00', end: '17:00' }] });
      const b = await createProvider(tx, { lat: HERE.lat + 0.01, lng: HERE.lng });
      const listings: Listing[] = [
        await createListing(tx, a, { categoryId: leaf }),
        await createListing(tx, a, { categoryId: other, coverageRadiusM: 3000 }),
        await createListing(tx, b, { categoryId: leaf }),
      ];
      const ids = listings.map((l) => l.id);
      const changes: [string, () => Promise<unknown>][] = [
        ['price', () => tx`update public.service_listings set price_minor = 777 where id = ${ids[0]!}`],
        ['listing off', () => tx`update public.service_listings set active = false where id = ${ids[1]!}`],
        ['coverage', () => tx`update public.service_listings set coverage_radius_m = null where id = ${ids[1]!}`],
        ['category', () => tx`update public.service_listings set category_id = ${other} where id = ${ids[2]!}`],
        ['rating', () => tx`update public.providers set rating_count = 2, rating_sum = 9 where id = ${a.id}`],
        ['badge', () => tx`update public.providers set verification_status = 'unverified' where id = ${b.id}`],
        ['provider off', () => tx`update public.providers set active = false where id = ${b.id}`],
        ['radius', () => tx`update public.providers set service_radius_m = 1234 where id = ${a.id}`],
        ['zone', () => tx`update public.providers set time_zone = 'America/New_York' where id = ${a.id}`],
        ['moved', () => tx`update public.provider_locations set lat = lat + 0.2 where provider_id = ${a.id}`],
        ['new hours', () => tx`
          insert into public.availability_rules (provider_id, weekday, start_time, end_time)
          values (${a.id}, 3, '07:15', '11:45')`],
        ['changed hours', () => tx`update public.availability_rules set end_time = '20:00' where provider_id = ${a.id} and weekday = 1`],
        ['hours gone', () => tx`delete from public.availability_rules where provider_id = ${b.id} and weekday = 2`],
        ['extra hours', () => tx`
          insert into public.availability_exceptions (provider_id, kind, on_date, start_time, end_time)
          values (${a.id}, 'extra_hours', current_date + 9, '20:00', '22:00')`],
        ['time off only', () => tx`
          insert into public.availability_exceptions (provider_id, kind, on_date)
          values (${b.id}, 'time_off', current_date + 4)`],
        ['extra hours gone', () => tx`delete from public.availability_exceptions where provider_id = ${a.id} and kind = 'extra_hours'`],
        ['tree', () => tx`update public.service_categories set parent_id = ${other} where id = ${leaf}`],
        ['base gone', () => tx`delete from public.provider_locations where provider_id = ${b.id}`],
        ['base back', () => tx`insert into public.provider_locations (provider_id, lat, lng) values (${b.id}, ${HERE.lat}, ${HERE.lng})`],
      ];
      for (const [name, change] of changes) {
        await change();
        const { stored, fresh } = await storedAndFresh(tx, ids);
        expect({ name, stored }).toEqual({ name, stored: fresh });
      }
      // Each kind of change did reach the places.
      const [row] = await tx`
        select rating::text, reach_m, time_zone, extra_hours_until from private.listing_places
        where listing_id = ${ids[0]!} and category_id = ${ANY_CATEGORY}`;
      expect(row).toEqual({ rating: '4.50', reach_m: 1234, time_zone: 'America/New_York', extra_hours_until: null });
      expect(await tx`select 1 from private.listing_places where listing_id = ${ids[2]!} and category_id = ${root}`).toHaveLength(0);
      await tx`delete from public.service_listings where id = ${ids[0]!}`;
      expect(await tx`select 1 from private.listing_places where listing_id = ${ids[0]!}`).toHaveLength(0);
    });
  });

  describe('weekly_hours_admit', () => {
    // Monday 09:00-17:00 in half hours 18..33.
    const MONDAY_NINE_TO_FIVE = '0'.repeat(18) + '1'.repeat(16) + '0'.repeat(336 - 34);
    const admit = (tx: Tx, bits: string, extraUntil: string | null, zone: string, at: string) =>
      tx`select private.weekly_hours_admit(${bits}::bit(336), ${extraUntil}::date, ${zone}, ${at}::timestamptz) as ok`
        .then(([r]) => r!.ok as boolean);

    it.each([
      ['2027-01-11 08:59+00', false],
      ['2027-01-11 09:00+00', true],
      ['2027-01-11 16:59+00', true],
      ['2027-01-11 17:00+00', false],
      ['2027-01-12 10:00+00', false],
    ])('reads the local half hour of the week (Accra, %s: %s)', async (at, expected) => {
      await rollback(async (tx) => {
        expect(await admit(tx, MONDAY_NINE_TO_FIVE, null, 'Africa/Accra', at)).toBe(expected);
      });
    });

    it('reads local time in the provider’s zone', async () => {
      await rollback(async (tx) => {
        // Monday 09:30 in Tashkent is 04:30 UTC.
        expect(await admit(tx, MONDAY_NINE_TO_FIVE, null, 'Asia/Tashkent', '2027-01-11 04:30+00')).toBe(true);
        expect(await admit(tx, MONDAY_NINE_TO_FIVE, null, 'Asia/Tashkent', '2027-01-11 12:30+00')).toBe(false);
      });
    });

    it('admits around days with extra hours, and near a clock change whatever the bits', async () => {
      await rollback(async (tx) => {
        const closed = '0'.repeat(336);
        expect(await admit(tx, closed, '2027-01-11', 'Africa/Accra', '2027-01-12 10:00+00')).toBe(true);
        expect(await admit(tx, closed, '2027-01-09', 'Africa/Accra', '2027-01-12 10:00+00')).toBe(false);
        // New York springs forward on 14 March 2027: a rule ending at 02:30 that day ends
        // at 03:30 EDT, after wall-clock times a half hour of the week would call closed.
        expect(await admit(tx, closed, null, 'America/New_York', '2027-03-14 07:00+00')).toBe(true);
        expect(await admit(tx, closed, null, 'America/New_York', '2027-03-10 15:00+00')).toBe(false);
      });
    });

    it('never turns away a start the full availability check accepts', async () => {
      await rollback(async (tx) => {
        // Rules that end inside the spring-forward gap, on odd minutes, at midnight, and
        // across the week, in zones with and without DST: for every quarter hour of two
        // weeks around each clock change, admit whenever is_bookable_start says bookable.
        await tx`update public.service_settings set booking_horizon = interval '3 years', slot_step = interval '5 minutes'`;
        // The next days New York springs forward and falls back (UTC midnight to midnight
        // reads 25 and 23 hours on its clocks).
        const days = await tx`
          select distinct on (wall) d::date::text as day
          from generate_series(current_date + 1, current_date + 400, interval '1 day') as d,
               lateral (select (d + interval '1 day') at time zone 'America/New_York' - d at time zone 'America/New_York' as wall) as w
          where wall <> interval '24 hours'
          order by wall, d`;
        expect(days).toHaveLength(2);
        const mismatches = [];
        for (const [zone, { day }] of [['America/New_York', days[0]!], ['America/New_York', days[1]!], ['Africa/Accra', days[0]!]] as const) {
          const provider = await createProvider(tx, {
            ...HERE,
            timeZone: zone,
            hours: [
              { weekday: 7, start: '00:00', end: '02:30' },
              { weekday: 7, start: '23:10', end: '24:00' },
              { weekday: 1, start: '00:00', end: '01:20' },
              { weekday: 3, start: '09:07', end: '13:53' },
            ],
          });
          const listing = await createListing(tx, provider, { durationMinutes: 15, minNoticeMinutes: 0 });
          const rows = await tx`
            select s.at, private.is_bookable_start(l, s.at) as bookable,
                   private.weekly_hours_admit(lp.weekly_hours, lp.extra_hours_until, lp.time_zone, s.at) as admitted
            from public.service_listings as l
            join private.listing_places as lp on lp.listing_id = l.id and lp.category_id = ${ANY_CATEGORY}
            cross join generate_series((${day}::date - 7)::timestamptz, (${day}::date + 7)::timestamptz,
                                       interval '15 minutes') as s (at)
            where l.id = ${listing.id}`;
          mismatches.push(...rows.filter((r) => r.bookable && !r.admitted).map((r) => `${zone} ${r.at.toISOString()}`));
          // The weekly test does turn most closed times away.
          expect(rows.filter((r) => !r.admitted).length).toBeGreaterThan(rows.length / 2);
          expect(rows.some((r) => r.bookable)).toBe(true);
        }
        expect(mismatches).toEqual([]);
      });
    });
  });

  describe('agrees with a brute-force scan of the search screen’s query', () => {
    // Category with subcategories + point + radius + minimum rating + start time, on a
    // crowd with varied weekly hours, time off, extra hours and bookings in two zones:
    // the same listings in the same order as checking every listing with
    // is_bookable_start, for nearest-first and best-rated-first.
    async function crowd(tx: Tx, token: string): Promise<{ root: string; starts: Date[] }> {
      // The same crowd every run (random() below is seeded), so the floor on how many
      // results were compared cannot fail by chance.
      await tx`select setseed(0.4242)`;
      const root = await createCategory(tx);
      const leaves = [await createCategory(tx, { parentId: root }), await createCategory(tx, { parentId: root })];
      const providers = await createCrowd(tx, {
        count: 300, near: HERE, zones: ['Africa/Accra', 'Africa/Accra', 'America/New_York'], verifiedShare: 0.9,
      });
      await tx`
        with hours as (
          insert into public.availability_rules (provider_id, weekday, start_time, end_time)
          select m.provider_id, m.d, make_time(m.first / 60, m.first % 60, 0),
                 case when m.last >= 1440 then time '24:00' else make_time(m.last / 60, m.last % 60, 0) end
          from (
            select p.id as provider_id, d, s.first, s.first + 60 + floor(random() * 600)::int as last
            from unnest(${providers}::uuid[]) as p (id)
            cross join generate_series(1, 7) as d
            cross join lateral (select 300 + floor(random() * 720)::int + d * 0 as first) as s
            where random() < 0.7
          ) as m
          returning provider_id
        ),
        exceptions as (
          insert into public.availability_exceptions (provider_id, kind, on_date, start_time, end_time)
          select p.id, k.kind, current_date + (random() * 6)::int,
                 case k.kind when 'extra_hours' then time '19:00' else time '00:00' end,
                 case k.kind when 'extra_hours' then time '23:30' else time '24:00' end
          from unnest(${providers}::uuid[]) as p (id)
          cross join (values ('extra_hours'::public.availability_exception_kind), ('time_off')) as k (kind)
          where random() < 0.15
          returning provider_id
        )
        insert into public.service_listings (provider_id, category_id, title, price_minor, coverage_radius_m, active,
                                             duration_minutes, min_notice_minutes)
        select p.id, (${leaves}::uuid[])[1 + floor(random() * 2)::int], jsonb_build_object('en', 'Crowd ' || ${token}),
               (random() * 20)::int * 500, case when random() < 0.3 then 2000 + (random() * 10000)::int end, random() < 0.95,
               (array[30, 60, 120])[1 + floor(random() * 3)::int], 60
        from unnest(${providers}::uuid[]) as p (id), generate_series(1, 2)`;
      // Starts over the next days, at hours that meet rule edges, extra hours and night.
      const starts = [utcDay(2, 9), utcDay(2, 13, 30), utcDay(3, 18), utcDay(4, 20, 30), utcDay(5, 7, 15), utcDay(6, 21)];
      // Bookings that hold some providers at the first start.
      const customer = await createCustomer(tx);
      const some = await tx`
        select distinct on (l.provider_id) l.*
        from public.service_listings as l join public.providers as p on p.id = l.provider_id
        where p.business_name = 'Crowd' and l.search_text like ${`%${token}%`} and l.active and p.verified
          and private.is_bookable_start(l, ${starts[0]!}) limit 15`;
      for (const listing of some) await requestBooking(tx, customer, listing as unknown as Listing, starts[0]!);
      return { root, starts };
    }

    function bruteForce(tx: Tx, token: string, root: string, at: Date, sort: 'distance' | 'rating'): Promise<string[]> {
      const key = sort === 'distance' ? 'pl.location operator(extensions.<->) extensions.ll_to_earth($1, $2)'
        : 'coalesce(p.rating_average, 0) desc';
      return tx.unsafe(`
        select l.id from public.service_listings l
        join public.providers p on p.id = l.provider_id
        join public.provider_locations pl on pl.provider_id = l.provider_id
        where l.search_text ilike $3 and l.active and p.active and p.verified
          and l.category_id = any (private.category_subtree($4))
          and p.rating_average >= 3
          and extensions.earth_distance(pl.location, extensions.ll_to_earth($1, $2))
              <= least(15000, coalesce(l.coverage_radius_m, p.service_radius_m))
          and private.is_bookable_start(l, $5)
        order by ${key}, l.provider_id, l.id`, [HERE.lat, HERE.lng, `%${token}%`, root, at])
        .then((rows) => rows.map((r) => r.id as string));
    }

    it.each(['distance', 'rating'] as const)('sorted by %s', async (sort) => {
      await rollback(async (tx) => {
        const token = `zq${randomUUID().slice(0, 6)}`;
        const { root, starts } = await crowd(tx, token);
        let found = 0;
        for (const at of starts) {
          const expected = (await bruteForce(tx, token, root, at, sort)).slice(0, 30);
          const base = {
            query: token, category: root, near_lat: HERE.lat, near_lng: HERE.lng, radius_m: 15000,
            min_rating: 3, available_at: at, sort, page_size: 15,
          };
          const pages = [...(await search(tx, { ...base, page: 0 })), ...(await search(tx, { ...base, page: 1 }))];
          expect({ at, ids: pages.map((r) => r.listing_id) }).toEqual({ at, ids: expected });
          found += expected.length;
          // Each one's next free start: the earliest free range within 14 days long
          // enough for the service.
          const slots = await tx`
            select l.id, (select lower(f) from unnest(private.listing_free_time(l, now(), now() + interval '14 days')) as f
                          where upper(f) - lower(f) >= make_interval(mins => l.duration_minutes)
                          order by 1 limit 1) as next
            from public.service_listings as l where l.id = any(${expected}::uuid[])`;
          const next = new Map(slots.map((r) => [r.id as string, (r.next as Date | null)?.toISOString() ?? null]));
          expect(pages.map((r) => [r.listing_id, r.next_slot_at?.toISOString() ?? null]))
            .toEqual(pages.map((r) => [r.listing_id, next.get(r.listing_id)]));
        }
        expect(found).toBeGreaterThan(40);
      });
    });
  });

  it('leaves a provider without a base out of nearest-first search only', async () => {
    await rollback(async (tx) => {
      const token = `zq${randomUUID().slice(0, 6)}`;
      const provider = await createProvider(tx, { ...HERE });
      const listing = await createListing(tx, provider, { title: { en: `Roofing ${token}` } });
      await tx`delete from public.provider_locations where provider_id = ${provider.id}`;
      expect(await search(tx, { query: token, near_lat: HERE.lat, near_lng: HERE.lng, radius_m: 5000 })).toEqual([]);
      expect((await search(tx, { query: token })).map((r) => r.listing_id)).toEqual([listing.id]);
      expect((await search(tx, { query: token, available_at: utcDay(3, 10) })).map((r) => r.listing_id)).toEqual([listing.id]);
    });
  });

  it('keeps the places private', async () => {
    await rollback(async (tx) => {
      for (const role of ['anon', 'authenticated']) {
        const [row] = await tx`select has_table_privilege(${role}, 'private.listing_places', 'select') as can`;
        expect(row!.can).toBe(false);
      }
    });
  });
});

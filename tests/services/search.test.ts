import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, rollback, type Tx } from '../harness/db.ts';
import {
  createCategory,
  createCrowd,
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  utcDay,
  type NewListing,
  type NewProvider,
} from '../harness/services.ts';

// Central Ghana, far from the seeded Accra providers.
const HERE = { lat: 8.5, lng: -1.5 };
/** About `km` kilometres north of HERE. */
const north = (km: number) => ({ lat: HERE.lat + km / 111.2, lng: HERE.lng });

interface Result {
  listing_id: string;
  provider_id: string;
  title: string;
  distance_m: number | null;
  next_slot_at: Date | null;
  price_minor: bigint;
  rating_average: string | null;
  verified: boolean;
  [column: string]: unknown;
}

function search(tx: Tx, args: Record<string, unknown>): Promise<Result[]> {
  const names = Object.keys(args);
  const call = names.map((name, i) => `${name} => $${i + 1}`).join(', ');
  return asAnon(tx, (q) => q.unsafe(`select * from public.search_services(${call})`, Object.values(args) as never[])) as Promise<Result[]>;
}

/** A provider at `where` with one listing; returns the listing id. */
async function offer(tx: Tx, where: { lat: number; lng: number }, listing: NewListing = {}, provider: NewProvider = {}) {
  const p = await createProvider(tx, { ...where, ...provider });
  const l = await createListing(tx, p, listing);
  return { provider: p, listing: l };
}

describe('search', () => {
  it('finds listings near a point, nearest first, with a rounded distance and the next free start', async () => {
    await rollback(async (tx) => {
      const near = await offer(tx, north(1.26));
      const far = await offer(tx, north(8));
      const rows = await search(tx, { near_lat: HERE.lat, near_lng: HERE.lng, radius_m: 20000 });
      expect(rows.map((r) => r.listing_id)).toEqual([near.listing.id, far.listing.id]);
      expect(rows[0]).toMatchObject({ distance_m: 1300, currency_code: 'GHS', verified: true, title: 'Fix a leaking tap' });
      expect(rows[0]!.next_slot_at).toBeInstanceOf(Date);
      expect(rows[0]!.next_slot_at!.getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
      // Public fields only: never the provider's coordinates.
      expect(Object.keys(rows[0]!)).not.toContain('lat');
      expect(Object.keys(rows[0]!)).not.toContain('lng');
    });
  });

  it('cannot be used to pin down where a provider lives: two bases 60 m apart look the same to every search', async () => {
    await rollback(async (tx) => {
      // Both inside one 0.002° cell of the grid search measures from.
      const home = await offer(tx, { lat: 8.5002, lng: -1.5002 });
      const nextDoor = await offer(tx, { lat: 8.5006, lng: -1.4998 });
      const origins = [HERE, north(0.7), { lat: 8.49, lng: -1.51 }, { lat: 8.5004, lng: -1.48 }];
      for (const origin of origins) {
        // The least radius that still finds each, to the metre, by bisection: what an
        // attacker would do from three points to trilaterate the base.
        const reach = async (listingId: string) => {
          let [low, high] = [1, 5000];
          while (low < high) {
            const mid = Math.floor((low + high) / 2);
            const rows = await search(tx, { near_lat: origin.lat, near_lng: origin.lng, radius_m: mid });
            if (rows.some((r) => r.listing_id === listingId)) high = mid;
            else low = mid + 1;
          }
          return low;
        };
        expect(await reach(home.listing.id)).toBe(await reach(nextDoor.listing.id));
        const rows = await search(tx, { near_lat: origin.lat, near_lng: origin.lng, radius_m: 5000 });
        const distance = (id: string) => rows.find((r) => r.listing_id === id)?.distance_m;
        expect(distance(home.listing.id)).toBe(distance(nextDoor.listing.id));
      }
    });
  });

  it('keeps to the search radius and to the area each listing is offered in', async () => {
    await rollback(async (tx) => {
      const inside = await offer(tx, north(3));
      await offer(tx, north(30));
      const narrow = await offer(tx, north(5), { coverageRadiusM: 2000 });
      const rows = await search(tx, { near_lat: HERE.lat, near_lng: HERE.lng, radius_m: 20000 });
      expect(rows.map((r) => r.listing_id)).toEqual([inside.listing.id]);
      expect(rows.map((r) => r.listing_id)).not.toContain(narrow.listing.id);
    });
  });

  it('matches a category with all its subcategories', async () => {
    await rollback(async (tx) => {
      const repair = await createCategory(tx);
      const plumbing = await createCategory(tx, { parentId: repair });
      const drains = await createCategory(tx, { parentId: plumbing });
      const other = await createCategory(tx);
      const a = await offer(tx, north(1), { categoryId: plumbing });
      const b = await offer(tx, north(2), { categoryId: drains });
      await offer(tx, north(3), { categoryId: other });
      const rows = await search(tx, { category: repair, near_lat: HERE.lat, near_lng: HERE.lng });
      expect(rows.map((r) => r.listing_id)).toEqual([a.listing.id, b.listing.id]);
      expect(await search(tx, { category: drains })).toEqual([expect.objectContaining({ listing_id: b.listing.id })]);
    });
  });

  it('filters by minimum rating, verified badge and price ceiling', async () => {
    await rollback(async (tx) => {
      const token = `zq${randomUUID().slice(0, 6)}`;
      const title = { en: `Tiling ${token}` };
      const good = await offer(tx, north(1), { title, priceMinor: 30000 });
      const cheap = await offer(tx, north(2), { title, priceMinor: 5000 }, { market: 'uz', verified: false });
      const poor = await offer(tx, north(3), { title, priceMinor: 8000 });
      await tx`update public.providers set rating_count = 2, rating_sum = 9 where id = ${good.provider.id}`;
      await tx`update public.providers set rating_count = 1, rating_sum = 2 where id = ${poor.provider.id}`;
      const ids = (rows: Result[]) => rows.map((r) => r.listing_id).sort();
      expect(ids(await search(tx, { query: token, min_rating: 4 }))).toEqual([good.listing.id]);
      expect(ids(await search(tx, { query: token, verified_only: true }))).toEqual([good.listing.id, poor.listing.id].sort());
      expect(ids(await search(tx, { query: token, max_price_minor: 9000 }))).toEqual([cheap.listing.id, poor.listing.id].sort());
      expect(ids(await search(tx, { query: token, market: 'uz' }))).toEqual([cheap.listing.id]);
    });
  });

  it('leaves out unverified providers where the market requires verification, and inactive ones', async () => {
    await rollback(async (tx) => {
      const token = `zq${randomUUID().slice(0, 6)}`;
      const title = { en: `Painting ${token}` };
      const unverified = await offer(tx, north(1), { title }, { verified: false });
      const paused = await offer(tx, north(2), { title, active: false });
      const away = await offer(tx, north(3), { title });
      const shown = await offer(tx, north(4), { title });
      await tx`update public.providers set active = false where id = ${away.provider.id}`;
      const ids = (await search(tx, { query: token })).map((r) => r.listing_id);
      expect(ids).toEqual([shown.listing.id]);
      expect(ids).not.toContain(unverified.listing.id);
      expect(ids).not.toContain(paused.listing.id);
    });
  });

  it('finds free text in any language, with typos, and by category name', async () => {
    await rollback(async (tx) => {
      const token = `zq${randomUUID().slice(0, 6)}`;
      const cyrillic = await offer(tx, north(1), { title: { 'uz-Cyrl': `Сантехника таъмири ${token}`, 'uz-Latn': `Santexnika ${token}` } });
      const arabic = await offer(tx, north(2), { title: { ar: `تنظيف المنازل ${token}` } });
      const english = await offer(tx, north(3), { title: { en: `Electrical wiring ${token}` } });
      const near = { near_lat: HERE.lat, near_lng: HERE.lng, radius_m: 10000 };
      expect((await search(tx, { ...near, query: 'сантехника' })).map((r) => r.listing_id)).toEqual([cyrillic.listing.id]);
      expect((await search(tx, { ...near, query: 'تنظيف' })).map((r) => r.listing_id)).toEqual([arabic.listing.id]);
      expect((await search(tx, { ...near, query: 'wirring' })).map((r) => r.listing_id)).toEqual([english.listing.id]);
      // Titles come back in the asked language, falling back sensibly.
      const [uz] = await search(tx, { ...near, query: 'сантехника', locale: 'uz-Cyrl' });
      expect(uz?.title).toBe(`Сантехника таъмири ${token}`);

      const category = await createCategory(tx, { name: { en: `Roofing ${token}`, ru: `Кровля ${token}` } });
      const roofer = await offer(tx, north(4), { categoryId: category, title: { en: 'Fix my roof' } });
      expect((await search(tx, { ...near, query: `Кровля ${token}` })).map((r) => r.listing_id)).toEqual([roofer.listing.id]);
    });
  });

  it('filters by availability at a given time: hours, bookings and notice all count', async () => {
    await rollback(async (tx) => {
      const token = `zq${randomUUID().slice(0, 6)}`;
      const title = { en: `Cleaning ${token}` };
      const at = utcDay(3, 10);
      const weekday = ((at.getUTCDay() + 6) % 7) + 1;
      const free = await offer(tx, north(1), { title });
      const closed = await offer(tx, north(2), { title }, { hours: [{ weekday, start: '14:00', end: '18:00' }] });
      const booked = await offer(tx, north(3), { title });
      await requestBooking(tx, await createCustomer(tx), booked.listing, at);
      const ids = (await search(tx, { query: token, available_at: at })).map((r) => r.listing_id);
      expect(ids).toEqual([free.listing.id]);
      expect(ids).not.toContain(closed.listing.id);
      // In the afternoon the booking is over and all three are free.
      const later = (await search(tx, { query: token, available_at: utcDay(3, 15) })).map((r) => r.listing_id).sort();
      expect(later).toEqual([free.listing.id, closed.listing.id, booked.listing.id].sort());
    });
  });

  it('sorts by price or rating and pages by keyset (after) or by page number without overlap', async () => {
    await rollback(async (tx) => {
      const token = `zq${randomUUID().slice(0, 6)}`;
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        const { listing } = await offer(tx, north(i + 1), { title: { en: `Gardening ${token}` }, priceMinor: 1000 * (7 - i) });
        created.push(listing.id);
      }
      const byPrice = (await search(tx, { query: token, sort: 'price' })).map((r) => Number(r.price_minor));
      expect(byPrice).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000]);

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await search(tx, { query: token, sort: 'price', page_size: 3, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.listing_id));
        after = page[page.length - 1]!.listing_id;
      }
      expect(seen).toHaveLength(7);
      expect(new Set(seen)).toEqual(new Set(created));

      const pages = [0, 1, 2].map((page) => search(tx, { query: token, sort: 'distance', near_lat: HERE.lat, near_lng: HERE.lng, page_size: 3, page }));
      const byPage = (await Promise.all(pages)).flat().map((r) => r.listing_id);
      expect(byPage).toEqual(created);

      const ratings = [3, 5, 4];
      for (const [i, stars] of ratings.entries()) {
        await tx`update public.providers set rating_count = 1, rating_sum = ${stars} where id = (select provider_id from public.service_listings where id = ${created[i]!})`;
      }
      const top = await search(tx, { query: token, sort: 'rating', page_size: 3 });
      expect(top.map((r) => r.rating_average)).toEqual(['5.00', '4.00', '3.00']);
    });
  });

  describe('agrees with a brute-force scan on a crowd of 600 providers', () => {
    // Every sort, near and far radius (a handful of providers, or hundreds: the two ways
    // search reads), by pages and by keyset: the same listings in the same order as
    // filtering and sorting everything.
    async function crowd(tx: Tx, token: string) {
      const category = await createCategory(tx);
      const providers = await createCrowd(tx, { count: 600, near: HERE });
      await tx`
        insert into public.service_listings (provider_id, category_id, title, price_minor, coverage_radius_m, active)
        select p.id, ${category}, jsonb_build_object('en', 'Crowd ' || ${token}), (random() * 20)::int * 500,
               case when random() < 0.3 then 2000 + (random() * 10000)::int end, random() < 0.95
        from unnest(${providers}::uuid[]) as p (id), generate_series(1, 2)`;
    }

    function bruteForce(tx: Tx, token: string, sort: string, radius: number): Promise<string[]> {
      const key = sort === 'distance' ? 'pl.location operator(extensions.<->) extensions.ll_to_earth($1, $2)'
        : sort === 'rating' ? 'coalesce(p.rating_average, 0) desc' : 'l.price_minor';
      return tx.unsafe(`
        select l.id from public.service_listings l
        join public.providers p on p.id = l.provider_id
        join public.provider_locations pl on pl.provider_id = l.provider_id
        where l.search_text ilike $3 and l.active and p.active and p.verified
          and extensions.earth_distance(pl.location, extensions.ll_to_earth($1, $2))
              <= least($4, coalesce(l.coverage_radius_m, p.service_radius_m))
        order by ${key}, l.provider_id, l.id`, [HERE.lat, HERE.lng, `%${token}%`, radius])
        .then((rows) => rows.map((r) => r.id as string));
    }

    it.each([
      ['distance', 3000], ['distance', 30000],
      ['rating', 3000], ['rating', 30000],
      ['price', 3000], ['price', 30000],
    ])('sorted by %s within %i m', async (sort, radius) => {
      await rollback(async (tx) => {
        const token = `zq${randomUUID().slice(0, 6)}`;
        await crowd(tx, token);
        const expected = (await bruteForce(tx, token, sort, radius)).slice(0, 60);
        expect(expected.length).toBeGreaterThan(radius === 3000 ? 10 : 30);
        const base = { query: token, near_lat: HERE.lat, near_lng: HERE.lng, radius_m: radius, sort, page_size: 20 };
        const byPage: string[] = [];
        for (const page of [0, 1, 2]) byPage.push(...(await search(tx, { ...base, page })).map((r) => r.listing_id));
        expect(byPage).toEqual(expected);
        const byKeyset: string[] = [];
        let after: string | undefined;
        for (let i = 0; i < 3; i++) {
          const rows = await search(tx, { ...base, ...(after ? { after } : {}) });
          byKeyset.push(...rows.map((r) => r.listing_id));
          if (rows.length === 0) break;
          after = rows[rows.length - 1]!.listing_id;
        }
        expect(byKeyset).toEqual(expected);
      });
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['distance order without a point', { sort: 'distance' }, { code: '22023', hint: 'invalid_search' }],
    ['an unknown sort', { sort: 'popularity' }, { hint: 'invalid_search' }],
    ['a radius without a point', { radius_m: 1000 }, { hint: 'invalid_search' }],
    ['a radius beyond the market’s maximum', { near_lat: 5.6, near_lng: -0.2, radius_m: 500000, market: 'gh' }, { hint: 'invalid_search' }],
    ['a page of 500', { page_size: 500 }, { hint: 'invalid_search' }],
    ['a rating of 6', { min_rating: 6 }, { hint: 'invalid_search' }],
    ['a negative price ceiling', { max_price_minor: -1 }, { hint: 'invalid_search' }],
    ['half a point', { near_lat: 5.6 }, { code: '22023', hint: 'invalid_location' }],
    ['an unknown category', { category: '00000000-0000-4000-8000-000000000000' }, { code: 'PT404', hint: 'category_not_found' }],
    ['an unknown cursor', { after: '00000000-0000-4000-8000-000000000000' }, { hint: 'invalid_search' }],
  ])('refuses %s', async (_, args, error) => {
    await rollback(async (tx) => {
      await expect(search(tx, args)).rejects.toMatchObject(error);
    });
  });

  it('finds the seeded demo listings in both services markets', async () => {
    await rollback(async (tx) => {
      // Other test files may commit their own providers in the same cities meanwhile.
      const accra = await search(tx, { query: 'Leak repair', near_lat: 5.56, near_lng: -0.2, radius_m: 20000, market: 'gh' });
      const tashkent = await search(tx, { query: 'Santexnika', near_lat: 41.3, near_lng: 69.24, radius_m: 20000, market: 'uz', locale: 'uz-Latn' });
      expect(accra.map((r) => r.listing_id)).toContain('11570000-0000-4000-8000-000000000001');
      expect(tashkent.map((r) => r.listing_id)).toContain('11570000-0000-4000-8000-000000000011');
      expect(tashkent.find((r) => r.listing_id === '11570000-0000-4000-8000-000000000011')).toMatchObject({
        title: 'Santexnika taʼmiri',
        verified: true,
        currency_code: 'UZS',
      });
      expect([...accra, ...tashkent].every((r) => r.next_slot_at instanceof Date)).toBe(true);
      // A few verified demo providers in each services market, each with listings and hours.
      const demo = await tx`
        select p.market_code, count(*)::int as providers
        from public.providers as p
        where p.id::text like '5a1e0000-%' and p.verification_status = 'verified'
          and exists (select from public.service_listings as l where l.provider_id = p.id and l.active)
          and exists (select from public.availability_rules as r where r.provider_id = p.id)
          and exists (select from public.provider_locations as b where b.provider_id = p.id)
        group by p.market_code order by p.market_code`;
      expect(demo).toEqual([{ market_code: 'gh', providers: 3 }, { market_code: 'uz', providers: 3 }]);
      const cleaning = await search(tx, { query: 'Tozalash', near_lat: 41.3, near_lng: 69.24, radius_m: 20000, market: 'uz', locale: 'uz-Latn' });
      expect(cleaning.map((r) => r.listing_id)).toContain('11570000-0000-4000-8000-000000000014');
    });
  });

  it('signed-in users search the same way', async () => {
    await rollback(async (tx) => {
      const { listing } = await offer(tx, north(1));
      const ama = await createCustomer(tx);
      const rows = await asUser(tx, ama, (q) => q`select listing_id from public.search_services(near_lat => ${HERE.lat}, near_lng => ${HERE.lng}, radius_m => 5000)`);
      expect(rows).toEqual([{ listing_id: listing.id }]);
    });
  });
});

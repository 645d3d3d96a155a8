import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback } from '../harness/db.ts';
import { createAdmin, createCategory, createCustomer, createListing, createProvider, uploadObject } from '../harness/services.ts';

const NAME = { en: 'Gardening', bn: 'বাগান করা', ar: 'البستنة', 'uz-Latn': 'Bogʻdorchilik', 'uz-Cyrl': 'Боғдорчилик' };

describe('categories', () => {
  it('anyone reads active categories with their translated names and icons', async () => {
    await rollback(async (tx) => {
      const id = await createCategory(tx, { name: NAME });
      await tx`update public.service_categories set icon = 'yard' where id = ${id}`;
      const rows = await asAnon(tx, (q) => q`select name, icon from public.service_categories where id = ${id}`);
      expect(rows).toEqual([{ name: NAME, icon: 'yard' }]);
    });
  });

  it('hides inactive categories from everyone but admins', async () => {
    await rollback(async (tx) => {
      const id = await createCategory(tx);
      await tx`update public.service_categories set active = false where id = ${id}`;
      const ama = await createCustomer(tx);
      const admin = await createAdmin(tx);
      expect(await asAnon(tx, (q) => q`select id from public.service_categories where id = ${id}`)).toEqual([]);
      expect(await asUser(tx, ama, (q) => q`select id from public.service_categories where id = ${id}`)).toEqual([]);
      expect(await asUser(tx, admin, (q) => q`select id from public.service_categories where id = ${id}`)).toHaveLength(1);
    });
  });

  it('lets admins create, rename, move and remove categories', async () => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      await asUser(tx, admin, async (q) => {
        const [parent] = await q`
          insert into public.service_categories (slug, name, icon) values ('garden', ${JSON.stringify(NAME)}::text::jsonb, 'yard')
          returning id`;
        const [child] = await q`
          insert into public.service_categories (slug, name, parent_id) values ('lawn', '{"en": "Lawn"}', ${parent!.id})
          returning id, parent_id`;
        expect(child!.parent_id).toBe(parent!.id);
        await q`update public.service_categories set name = '{"en": "Lawn care", "ar": "العناية بالعشب"}' where id = ${child!.id}`;
        expect(await q`delete from public.service_categories where id = ${child!.id} returning id`).toHaveLength(1);
      });
    });
  });

  it.each(['customer', 'provider'] as const)('refuses category writes from a %s', async (persona) => {
    await rollback(async (tx) => {
      const id = await createCategory(tx);
      const user = persona === 'provider' ? await createProvider(tx) : await createCustomer(tx);
      await expect(
        asUser(tx, user, (q) => q`insert into public.service_categories (slug, name) values ('x-cat', '{"en": "X"}')`),
      ).rejects.toMatchObject({ code: '42501' });
      expect(await asUser(tx, user, (q) => q`update public.service_categories set slug = 'hacked' where id = ${id} returning id`)).toEqual([]);
      expect(await asUser(tx, user, (q) => q`delete from public.service_categories where id = ${id} returning id`)).toEqual([]);
      await expect(asAnon(tx, (q) => q`delete from public.service_categories where id = ${id}`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it.each([
    ['no English name', { ar: 'السباكة' }, 'category_name_has_english'],
    ['a blank name', { en: '  ' }, 'category_name_is_translated'],
    ['a name that is not text', { en: 42 }, 'category_name_is_translated'],
    ['a key that is not a language tag', { en: 'Plumbing', 'not a tag': 'x' }, 'category_name_is_translated'],
  ])('refuses a category with %s', async (_, name, constraint) => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      await expect(
        asUser(tx, admin, (q) => q`insert into public.service_categories (slug, name) values ('bad', ${JSON.stringify(name)}::text::jsonb)`),
      ).rejects.toMatchObject({ code: '23514', constraint_name: constraint });
    });
  });

  it('keeps the tree a tree: a category cannot move under its own descendant', async () => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      const root = await createCategory(tx);
      const child = await createCategory(tx, { parentId: root });
      const grandchild = await createCategory(tx, { parentId: child });
      await expect(
        asUser(tx, admin, (q) => q`update public.service_categories set parent_id = ${grandchild} where id = ${root}`),
      ).rejects.toMatchObject({ code: '22023', hint: 'category_cycle' });
      await expect(
        asUser(tx, admin, (q) => q`update public.service_categories set parent_id = ${root} where id = ${root}`),
      ).rejects.toMatchObject({ code: '22023', hint: 'category_cycle' });
    });
  });
});

describe('service settings', () => {
  it('are public, and only admins change them', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const admin = await createAdmin(tx);
      const [gh] = await asAnon(tx, (q) => q`select requires_verified_providers from public.service_settings where market_code = 'gh'`);
      expect(gh?.requires_verified_providers).toBe(true);
      expect(
        await asUser(tx, kwame, (q) => q`update public.service_settings set requires_verified_providers = false where market_code = 'gh' returning market_code`),
      ).toEqual([]);
      expect(
        await asUser(tx, admin, (q) => q`update public.service_settings set request_ttl = '2 hours' where market_code = 'gh' returning market_code`),
      ).toHaveLength(1);
      await expect(
        asUser(tx, admin, (q) => q`update public.service_settings set slot_step = '1 minute' where market_code = 'gh'`),
      ).rejects.toMatchObject({ code: '23514', constraint_name: 'service_settings_slot_step_in_range' });
    });
  });
});

describe('listings', () => {
  it('a provider creates a listing for themselves in their market, with translated title', async () => {
    await rollback(async (tx) => {
      const bobur = await createProvider(tx, { market: 'uz' });
      const listing = await createListing(tx, bobur, {
        title: { 'uz-Latn': 'Santexnika', 'uz-Cyrl': 'Сантехника', ru: 'Сантехника' },
        priceMinor: 15000000,
        pricingUnit: 'hourly',
      });
      expect(listing).toMatchObject({ provider_id: bobur.id, market_code: 'uz', pricing_unit: 'hourly', price_minor: 15000000n });
      expect(listing.search_text).toContain('Сантехника');
    });
  });

  it('a provider cannot create a listing in someone else’s name', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const yaw = await createProvider(tx);
      const category = await createCategory(tx);
      await expect(
        asUser(tx, kwame, (q) => q`
          insert into public.service_listings (provider_id, category_id, title, price_minor)
          values (${yaw.id}, ${category}, '{"en": "x"}', 100)`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a provider changes their own listing but not another’s, nor its owner or market', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const yaw = await createProvider(tx);
      const listing = await createListing(tx, kwame);
      const changed = await asUser(tx, kwame, (q) => q`
        update public.service_listings set price_minor = 12000, active = false where id = ${listing.id} returning price_minor, active`);
      expect(changed).toEqual([{ price_minor: 12000n, active: false }]);
      expect(await asUser(tx, yaw, (q) => q`update public.service_listings set price_minor = 1 where id = ${listing.id} returning id`)).toEqual([]);
      await expect(
        asUser(tx, kwame, (q) => q`update public.service_listings set provider_id = ${yaw.id} where id = ${listing.id}`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        asUser(tx, kwame, (q) => q`update public.service_listings set market_code = 'uz' where id = ${listing.id}`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, kwame, (q) => q`delete from public.service_listings where id = ${listing.id}`)).rejects.toMatchObject({
        code: '42501',
      });
    });
  });

  it('customers and anonymous clients cannot create listings', async () => {
    await rollback(async (tx) => {
      const ama = await createCustomer(tx);
      const category = await createCategory(tx);
      // A customer has no provider profile to list under.
      await expect(
        asUser(tx, ama, (q) => q`insert into public.service_listings (category_id, title, price_minor) values (${category}, '{"en": "x"}', 100)`),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'provider_not_found' });
      await expect(
        asAnon(tx, (q) => q`insert into public.service_listings (category_id, title, price_minor) values (${category}, '{"en": "x"}', 100)`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('a provider without a provider profile gets provider_not_found', async () => {
    await rollback(async (tx) => {
      const newcomer = await createUser(tx, { roles: ['provider'] });
      const category = await createCategory(tx);
      await expect(
        asUser(tx, newcomer, (q) => q`insert into public.service_listings (category_id, title, price_minor) values (${category}, '{"en": "x"}', 100)`),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'provider_not_found' });
    });
  });

  it.each([
    ['a negative price', { priceMinor: -1 }, 'listing_price_is_not_negative'],
    ['a zero duration', { durationMinutes: 0 }, 'listing_duration_in_range'],
    ['a negative buffer', { bufferBeforeMinutes: -5 }, 'listing_buffers_in_range'],
    ['a tiny coverage radius', { coverageRadiusM: 5 }, 'listing_coverage_in_range'],
    ['an untranslated title', { title: {} }, 'listing_title_is_translated'],
  ])('refuses a listing with %s and writes nothing', async (_, options, constraint) => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      await expect(createListing(tx, kwame, options)).rejects.toMatchObject({ code: '23514', constraint_name: constraint });
      const [count] = await tx`select count(*)::int as n from public.service_listings where provider_id = ${kwame.id}`;
      expect(count?.n).toBe(0);
    });
  });

  it('refuses an unknown or inactive category with category_not_found', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const inactive = await createCategory(tx);
      await tx`update public.service_categories set active = false where id = ${inactive}`;
      await expect(createListing(tx, kwame, { categoryId: inactive })).rejects.toMatchObject({ code: 'PT404', hint: 'category_not_found' });
      await expect(createListing(tx, kwame, { categoryId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
        hint: 'category_not_found',
      });
    });
  });

  it('keeps listing media inside the provider’s own folder of service-media', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const yaw = await createProvider(tx);
      const listing = await createListing(tx, kwame);
      const own = await uploadObject(tx, kwame, 'service-media', 'tap.jpg');
      await asUser(tx, kwame, (q) => q`update public.service_listings set media_paths = ${[own]} where id = ${listing.id}`);
      await expect(
        asUser(tx, kwame, (q) => q`update public.service_listings set media_paths = ${[`${yaw.id}/x.jpg`]} where id = ${listing.id}`),
      ).rejects.toMatchObject({ code: '23514', constraint_name: 'listing_media_in_provider_folder' });
    });
  });

  it('shows active listings to everyone and inactive ones only to their provider and admins', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const ama = await createCustomer(tx);
      const admin = await createAdmin(tx);
      const live = await createListing(tx, kwame);
      const paused = await createListing(tx, kwame, { active: false });
      const ids = [live.id, paused.id];
      const seen = async (f: () => Promise<{ id: string }[]>) => (await f()).map((r) => r.id).sort();
      expect(await seen(() => asAnon(tx, (q) => q<{ id: string }[]>`select id from public.service_listings where id in ${q(ids)}`))).toEqual([live.id]);
      expect(await seen(() => asUser(tx, ama, (q) => q<{ id: string }[]>`select id from public.service_listings where id in ${q(ids)}`))).toEqual([live.id]);
      expect(await seen(() => asUser(tx, kwame, (q) => q<{ id: string }[]>`select id from public.service_listings where id in ${q(ids)}`))).toEqual(ids.sort());
      expect(await seen(() => asUser(tx, admin, (q) => q<{ id: string }[]>`select id from public.service_listings where id in ${q(ids)}`))).toEqual(ids.sort());
    });
  });

  it('a suspended provider can no longer change listings', async () => {
    await rollback(async (tx) => {
      const kwame = await createProvider(tx);
      const admin = await createAdmin(tx);
      const listing = await createListing(tx, kwame);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${kwame.id}, 'Fraud')`);
      expect(await asUser(tx, kwame, (q) => q`update public.service_listings set price_minor = 1 where id = ${listing.id} returning id`)).toEqual([]);
      await expect(createListing(tx, kwame)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

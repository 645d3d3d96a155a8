import { describe, expect, it } from 'vitest';
import { MARKET_PHONE_PREFIX, createUser, randomPhone, rollback } from '../harness/db.ts';

describe('signing up by phone', () => {
  it('gives a new user a profile, a private account and the customer role', async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { metadata: { display_name: '  Ama Mensah ' } });
      const [profile] = await tx`select market_code, display_name, avatar_path from public.profiles where id = ${user.id}`;
      const [account] = await tx`select phone, locale, status from public.accounts where id = ${user.id}`;
      const roles = await tx`select role from public.user_roles where user_id = ${user.id}`;
      expect(profile).toEqual({ market_code: 'gh', display_name: 'Ama Mensah', avatar_path: null });
      expect(account).toEqual({ phone: user.phone, locale: 'en', status: 'active' });
      expect(roles.map((r) => r.role)).toEqual(['customer']);
    });
  });

  it.each([
    ['gh', MARKET_PHONE_PREFIX.gh],
    ['uz', MARKET_PHONE_PREFIX.uz],
    ['eg', MARKET_PHONE_PREFIX.eg],
    ['bd', MARKET_PHONE_PREFIX.bd],
  ])('puts a phone from the %s market in that market, in its default language', async (market, prefix) => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { phone: randomPhone(prefix) });
      const [row] = await tx`
        select p.market_code, a.locale, m.default_locale
        from public.profiles p join public.accounts a using (id) join public.markets m on m.code = p.market_code
        where p.id = ${user.id}`;
      expect(row?.market_code).toBe(market);
      expect(row?.locale).toBe(row?.default_locale);
    });
  });

  it('lets the app name its market and a supported language', async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { phone: randomPhone(MARKET_PHONE_PREFIX.gh), metadata: { market: 'uz', locale: 'uz-Cyrl' } });
      const [row] = await tx`select p.market_code, a.locale from public.profiles p join public.accounts a using (id) where p.id = ${user.id}`;
      expect(row).toEqual({ market_code: 'uz', locale: 'uz-Cyrl' });
      expect(user.claims.market).toBe('uz');
    });
  });

  it("falls back to the market's language when the requested one is not offered", async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { phone: randomPhone(MARKET_PHONE_PREFIX.bd), metadata: { locale: 'fr' } });
      const [row] = await tx`select locale from public.accounts where id = ${user.id}`;
      expect(row?.locale).toBe('bn');
    });
  });

  it('puts users with no phone and no market (made in Studio) in the default market', async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { phone: null });
      const [row] = await tx`select p.market_code, a.phone from public.profiles p join public.accounts a using (id) where p.id = ${user.id}`;
      expect(row).toEqual({ market_code: 'gh', phone: null });
    });
  });

  it('refuses a sign-up no market serves, with a stable error, and creates nothing', async () => {
    await rollback(async (tx) => {
      await tx`update public.markets set is_default = false`;
      await expect(createUser(tx, { phone: randomPhone('1') })).rejects.toMatchObject({ hint: 'market_unknown' });
      const [count] = await tx`select count(*)::int as n from auth.users where phone like '1%'`;
      expect(count?.n).toBe(0);
    });
  });

  it.each([
    ['a role field', { role: 'admin' }],
    ['a roles list', { roles: ['admin', 'provider'] }],
    ['the claim name itself', { user_roles: ['admin'] }],
  ])('grants nothing from %s in sign-up metadata', async (_, metadata) => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { metadata });
      const roles = await tx`select role from public.user_roles where user_id = ${user.id}`;
      expect(roles.map((r) => r.role)).toEqual(['customer']);
      expect(user.claims.user_roles).toEqual(['customer']);
    });
  });

  it("grants nothing from roles written into the user's app metadata", async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { appMetadata: { roles: ['admin'], user_roles: ['admin'] } });
      expect(user.claims.user_roles).toEqual(['customer']);
    });
  });

  it('keeps the account phone in step when the user changes number in Auth', async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx);
      const next = randomPhone();
      await tx`update auth.users set phone = ${next} where id = ${user.id}`;
      const [row] = await tx`select phone from public.accounts where id = ${user.id}`;
      expect(row?.phone).toBe(next);
    });
  });

  it('removes the profile, account and roles when the auth user is deleted', async () => {
    await rollback(async (tx) => {
      const user = await createUser(tx, { roles: ['provider'] });
      await tx`delete from auth.users where id = ${user.id}`;
      const [left] = await tx`
        select (select count(*) from public.profiles where id = ${user.id})
             + (select count(*) from public.accounts where id = ${user.id})
             + (select count(*) from public.user_roles where user_id = ${user.id}) as n`;
      expect(Number(left?.n)).toBe(0);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback } from '../harness/db.ts';

describe('profiles and accounts', () => {
  it("lets a signed-in user see another user's name and avatar", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx, { metadata: { display_name: 'Ama' } });
      const kofi = await createUser(tx);
      const rows = await asUser(tx, kofi, (q) => q`select id, display_name from public.profiles where id = ${ama.id}`);
      expect(rows).toEqual([{ id: ama.id, display_name: 'Ama' }]);
    });
  });

  it("never shows a stranger another user's phone, language or standing", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      const rows = await asUser(tx, kofi, (q) => q`select * from public.accounts where id = ${ama.id}`);
      expect(rows).toEqual([]);
      const own = await asUser(tx, ama, (q) => q`select phone from public.accounts`);
      expect(own).toEqual([{ phone: ama.phone }]);
    });
  });

  it('shows an admin every account', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const admin = await createUser(tx, { roles: ['admin'] });
      const rows = await asUser(tx, admin, (q) => q`select phone from public.accounts where id = ${ama.id}`);
      expect(rows).toEqual([{ phone: ama.phone }]);
    });
  });

  it('shows anonymous clients no profiles and no accounts', async () => {
    await rollback(async (tx) => {
      await createUser(tx);
      await expect(asAnon(tx, (q) => q`select id from public.profiles limit 1`)).rejects.toMatchObject({ code: '42501' });
      await expect(asAnon(tx, (q) => q`select id from public.accounts limit 1`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('lets a user change their own name, avatar and language', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await asUser(tx, ama, async (q) => {
        await q`update public.profiles set display_name = 'Ama M.', avatar_path = ${`${ama.id}/face.jpg`} where id = ${ama.id}`;
        await q`update public.accounts set locale = 'en' where id = ${ama.id}`;
      });
      const [row] = await tx`select display_name, avatar_path from public.profiles where id = ${ama.id}`;
      expect(row).toEqual({ display_name: 'Ama M.', avatar_path: `${ama.id}/face.jpg` });
    });
  });

  it("cannot change another user's profile", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx, { metadata: { display_name: 'Ama' } });
      const kofi = await createUser(tx);
      const changed = await asUser(tx, kofi, (q) => q`update public.profiles set display_name = 'hacked' where id = ${ama.id} returning id`);
      expect(changed).toEqual([]);
      const [row] = await tx`select display_name from public.profiles where id = ${ama.id}`;
      expect(row?.display_name).toBe('Ama');
    });
  });

  it.each([
    ['profiles', 'market_code', "'uz'"],
    ['accounts', 'status', "'active'"],
    ['accounts', 'phone', "'233200000000'"],
    ['accounts', 'status_reason', 'null'],
  ])('cannot write %s.%s of their own row', async (table, column, value) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(
        asUser(tx, ama, (q) => q.unsafe(`update public.${table} set ${column} = ${value} where id = $1`, [ama.id])),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it("refuses an avatar outside the user's own folder", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kofi = await createUser(tx);
      await expect(
        asUser(tx, ama, (q) => q`update public.profiles set avatar_path = ${`${kofi.id}/face.jpg`} where id = ${ama.id}`),
      ).rejects.toMatchObject({ code: '23514', constraint_name: 'profile_avatar_in_own_folder' });
      await expect(
        asUser(tx, ama, (q) => q`update public.profiles set avatar_path = ${`${ama.id}/../${kofi.id}/x.jpg`} where id = ${ama.id}`),
      ).rejects.toMatchObject({ code: '23514' });
    });
  });

  it('refuses a blank or overlong display name', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      for (const name of ['   ', 'x'.repeat(81)]) {
        await expect(
          asUser(tx, ama, (q) => q`update public.profiles set display_name = ${name} where id = ${ama.id}`),
        ).rejects.toMatchObject({ code: '23514', constraint_name: 'profile_display_name_length' });
      }
    });
  });

  it('lets nobody but sign-up create profiles or accounts', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(
        asUser(tx, ama, (q) => q`insert into public.profiles (id, market_code) values (gen_random_uuid(), 'gh')`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, ama, (q) => q`delete from public.accounts where id = ${ama.id}`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

import { describe, expect, it } from 'vitest';
import { asUser, createUser, db, issueClaims, rollback } from '../harness/db.ts';

describe('suspension', () => {
  it('an admin suspends a user with a reason; Auth is told to refuse new sessions', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      const [result] = await asUser(tx, admin, (q) => q`select * from public.suspend_user(${ama.id}, 'Fake reviews')`);
      expect(result).toMatchObject({ id: ama.id, status: 'suspended', status_reason: 'Fake reviews', status_changed_by: admin.id });
      const [auth] = await tx`select banned_until > now() + interval '50 years' as banned from auth.users where id = ${ama.id}`;
      expect(auth?.banned).toBe(true);
    });
  });

  it('a suspended user can still read but can write nothing, even with a token issued before', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Abuse')`);
      const own = await asUser(tx, ama, (q) => q`select status from public.accounts where id = ${ama.id}`);
      expect(own).toEqual([{ status: 'suspended' }]);
      const changed = await asUser(tx, ama, (q) => q`update public.profiles set display_name = 'x' where id = ${ama.id} returning id`);
      expect(changed).toEqual([]);
      const locale = await asUser(tx, ama, (q) => q`update public.accounts set locale = 'en' where id = ${ama.id} returning id`);
      expect(locale).toEqual([]);
    });
  });

  it('a suspended admin cannot use admin functions', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const other = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, other, (q) => q`select public.suspend_user(${admin.id}, 'Compromised')`);
      await expect(asUser(tx, admin, (q) => q`select public.grant_role(${ama.id}, 'provider')`)).rejects.toMatchObject({
        code: 'PT403',
        hint: 'account_suspended',
      });
      await expect(
        asUser(tx, admin, (q) => q`update public.markets set name = 'x' where code = 'gh' returning code`),
      ).resolves.toEqual([]);
    });
  });

  it('restoring lifts the ban and the user can write again', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Check')`);
      await asUser(tx, admin, (q) => q`select public.restore_user(${ama.id}, 'Cleared')`);
      const [auth] = await tx`select banned_until from auth.users where id = ${ama.id}`;
      expect(auth?.banned_until).toBeNull();
      const changed = await asUser(tx, ama, (q) => q`update public.profiles set display_name = 'Back' where id = ${ama.id} returning id`);
      expect(changed).toHaveLength(1);
      expect((await issueClaims(tx, ama.id)).account_status).toBe('active');
    });
  });

  it.each([
    ['no reason', null],
    ['a blank reason', '   '],
  ])('refuses to suspend with %s', async (_, reason) => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await expect(asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, ${reason})`)).rejects.toMatchObject({
        code: '22023',
        hint: 'reason_required',
      });
      const [row] = await tx`select status from public.accounts where id = ${ama.id}`;
      expect(row?.status).toBe('active');
    });
  });

  it('an admin cannot suspend themselves', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      await expect(asUser(tx, admin, (q) => q`select public.suspend_user(${admin.id}, 'oops')`)).rejects.toMatchObject({
        hint: 'cannot_change_self',
      });
    });
  });

  it('customers and providers cannot suspend anyone', async () => {
    await rollback(async (tx) => {
      const kwame = await createUser(tx, { roles: ['provider'] });
      const ama = await createUser(tx);
      await expect(asUser(tx, kwame, (q) => q`select public.suspend_user(${ama.id}, 'competition')`)).rejects.toMatchObject({
        code: '42501',
        hint: 'forbidden',
      });
    });
  });

  // Guards every table any migration adds: whatever authenticated may insert, update or
  // delete must also be covered by a restrictive policy that requires an active user.
  it('every table authenticated can write refuses suspended users', async () => {
    const rows = await db()<{ table_name: string; command: string; guarded: boolean }[]>`
      with writes as (
        select c.oid, n.nspname || '.' || c.relname as table_name, w.command
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        cross join (values ('INSERT'), ('UPDATE'), ('DELETE')) as w (command)
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and (has_table_privilege('authenticated', c.oid, w.command)
               or (w.command = 'UPDATE' and has_any_column_privilege('authenticated', c.oid, 'UPDATE'))
               or (w.command = 'INSERT' and has_any_column_privilege('authenticated', c.oid, 'INSERT')))
      )
      select w.table_name, w.command,
             exists (
               select from pg_policy p
               where p.polrelid = w.oid and not p.polpermissive
                 and p.polcmd = case w.command when 'INSERT' then 'a' when 'UPDATE' then 'w' else 'd' end
                 and 'authenticated'::regrole = any (p.polroles)
                 and pg_get_expr(coalesce(p.polqual, p.polwithcheck), p.polrelid) like '%is_active_user()%'
             ) as guarded
      from writes w
      order by 1, 2`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => !r.guarded)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, issueClaims, rollback } from '../harness/db.ts';

describe('roles', () => {
  describe('nobody can grant themselves a role', () => {
    it('not by writing user_roles', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        await expect(
          asUser(tx, ama, (q) => q`insert into public.user_roles (user_id, role) values (${ama.id}, 'admin')`),
        ).rejects.toMatchObject({ code: '42501' });
        await expect(
          asUser(tx, ama, (q) => q`update public.user_roles set role = 'admin' where user_id = ${ama.id}`),
        ).rejects.toMatchObject({ code: '42501' });
      });
    });

    it('not by calling grant_role', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        await expect(asUser(tx, ama, (q) => q`select public.grant_role(${ama.id}, 'admin')`)).rejects.toMatchObject({
          code: '42501',
          hint: 'forbidden',
        });
        await expect(asUser(tx, ama, (q) => q`select private.grant_role(${ama.id}, 'admin')`)).rejects.toMatchObject({
          hint: 'forbidden',
        });
      });
    });

    it('not by forging the JWT roles claim (the table must agree)', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        const forged = { ...ama.claims, user_roles: ['customer', 'admin'] };
        await expect(asUser(tx, forged, (q) => q`select public.grant_role(${ama.id}, 'provider')`)).rejects.toMatchObject({
          hint: 'forbidden',
        });
      });
    });

    it('not by editing their auth user or its metadata', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        await expect(
          asUser(tx, ama, (q) => q`update auth.users set raw_app_meta_data = '{"roles":["admin"]}' where id = ${ama.id}`),
        ).rejects.toMatchObject({ code: '42501' });
        // Auth lets users rewrite their own user metadata; it must never count.
        await tx`update auth.users set raw_user_meta_data = '{"role":"admin","user_roles":["admin"]}' where id = ${ama.id}`;
        expect((await issueClaims(tx, ama.id)).user_roles).toEqual(['customer']);
      });
    });

    it('not by calling the access-token hook themselves', async () => {
      await rollback(async (tx) => {
        const ama = await createUser(tx);
        const event = { user_id: ama.id, claims: ama.claims, authentication_method: 'otp' };
        await expect(
          asUser(tx, ama, (q) => q`select public.custom_access_token_hook(${JSON.stringify(event)}::text::jsonb)`),
        ).rejects.toMatchObject({ code: '42501' });
        await expect(asAnon(tx, (q) => q`select public.custom_access_token_hook(${JSON.stringify(event)}::text::jsonb)`)).rejects.toMatchObject({
          code: '42501',
        });
      });
    });
  });

  it('an admin grants and revokes a role, and the next token carries the change', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const kwame = await createUser(tx);
      const [granted] = await asUser(tx, admin, (q) => q`select public.grant_role(${kwame.id}, 'provider') as roles`);
      expect(granted?.roles).toEqual(['customer', 'provider']);
      expect((await issueClaims(tx, kwame.id)).user_roles).toEqual(['customer', 'provider']);
      const [again] = await asUser(tx, admin, (q) => q`select public.grant_role(${kwame.id}, 'provider') as roles`);
      expect(again?.roles).toEqual(['customer', 'provider']);
      const [[row]] = [await tx`select granted_by from public.user_roles where user_id = ${kwame.id} and role = 'provider'`];
      expect(row?.granted_by).toBe(admin.id);
      const [revoked] = await asUser(tx, admin, (q) => q`select public.revoke_role(${kwame.id}, 'provider') as roles`);
      expect(revoked?.roles).toEqual(['customer']);
      expect((await issueClaims(tx, kwame.id)).user_roles).toEqual(['customer']);
    });
  });

  it('an admin whose role was revoked cannot use admin functions with an old token', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const other = await createUser(tx, { roles: ['admin'] });
      const kwame = await createUser(tx);
      await asUser(tx, other, (q) => q`select public.revoke_role(${admin.id}, 'admin')`);
      expect(admin.claims.user_roles).toContain('admin');
      await expect(asUser(tx, admin, (q) => q`select public.grant_role(${kwame.id}, 'provider')`)).rejects.toMatchObject({
        hint: 'forbidden',
      });
    });
  });

  it('an admin cannot remove their own admin role', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      await expect(asUser(tx, admin, (q) => q`select public.revoke_role(${admin.id}, 'admin')`)).rejects.toMatchObject({
        hint: 'cannot_change_self',
      });
    });
  });

  it('granting to an unknown user is a not_found error', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      await expect(
        asUser(tx, admin, (q) => q`select public.grant_role(gen_random_uuid(), 'provider')`),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'not_found' });
    });
  });

  it('a user sees their own roles, not anyone else’s; an admin sees all', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx, { roles: ['provider'] });
      const admin = await createUser(tx, { roles: ['admin'] });
      const seen = await asUser(tx, ama, (q) => q`select user_id from public.user_roles where user_id in ${q([ama.id, kwame.id])}`);
      expect(seen.map((r) => r.user_id)).toEqual([ama.id]);
      const all = await asUser(tx, admin, (q) => q`select user_id from public.user_roles where user_id = ${kwame.id}`);
      expect(all).toHaveLength(2);
    });
  });

  it('anonymous clients cannot call admin functions at all', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asAnon(tx, (q) => q`select public.grant_role(${ama.id}, 'admin')`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

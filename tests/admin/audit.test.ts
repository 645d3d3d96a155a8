import { describe, expect, it } from 'vitest';
import { asService, asUser, createUser, rollback, type Tx } from '../harness/db.ts';

async function entriesFor(tx: Tx, recordId: string) {
  return tx`
    select actor_id, actor_role, action, table_name, record_id, reason, old_data, new_data
    from public.audit_log where record_id = ${recordId} order by id`;
}

describe('audit log', () => {
  it('records a role grant and revocation with who, why, before and after', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const kwame = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.grant_role(${kwame.id}, 'provider', 'Documents checked')`);
      await asUser(tx, admin, (q) => q`select public.revoke_role(${kwame.id}, 'provider', 'Licence expired')`);
      const entries = await entriesFor(tx, kwame.id);
      expect(entries).toMatchObject([
        { actor_id: admin.id, actor_role: 'authenticated', action: 'role.granted', table_name: 'public.user_roles', reason: 'Documents checked', old_data: null, new_data: { role: 'provider', granted_by: admin.id } },
        { actor_id: admin.id, action: 'role.revoked', reason: 'Licence expired', old_data: { role: 'provider' }, new_data: null },
      ]);
    });
  });

  it('does not count the customer role every sign-up receives as a privileged action', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      expect(await entriesFor(tx, ama.id)).toEqual([]);
    });
  });

  it('records suspensions and restorations with the reason and the status before and after', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Fake reviews')`);
      await asUser(tx, admin, (q) => q`select public.restore_user(${ama.id}, 'Appeal accepted')`);
      const entries = await entriesFor(tx, ama.id);
      expect(entries.map((e) => [e.action, e.reason, e.old_data.status, e.new_data.status])).toEqual([
        ['account.status_changed', 'Fake reviews', 'active', 'suspended'],
        ['account.status_changed', 'Appeal accepted', 'suspended', 'active'],
      ]);
      expect(entries.every((e) => e.actor_id === admin.id)).toBe(true);
    });
  });

  it('records market configuration changes', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      await asUser(tx, admin, (q) => q`update public.markets set sms_provider = 'arkesel' where code = 'gh'`);
      const [entry] = await tx`select action, old_data ->> 'sms_provider' as before, new_data ->> 'sms_provider' as after
                               from public.audit_log where table_name = 'public.markets' and record_id = 'gh' order by id desc limit 1`;
      expect(entry).toEqual({ action: 'markets.update', before: 'hubtel', after: 'arkesel' });
    });
  });

  it('is readable by admins only', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const kwame = await createUser(tx, { roles: ['provider'] });
      await asUser(tx, admin, (q) => q`select public.suspend_user(${kwame.id}, 'Check')`);
      const seenByAdmin = await asUser(tx, admin, (q) => q`select id from public.audit_log where record_id = ${kwame.id}`);
      expect(seenByAdmin.length).toBeGreaterThan(0);
      const seenByUser = await asUser(tx, kwame, (q) => q`select id from public.audit_log where record_id = ${kwame.id}`);
      expect(seenByUser).toEqual([]);
    });
  });

  it('cannot be changed or removed by an admin through the API', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Check')`);
      for (const statement of [
        `update public.audit_log set reason = 'nothing happened'`,
        `delete from public.audit_log`,
        `insert into public.audit_log (actor_role, action, table_name, new_data) values ('x', 'fake.entry', 't', '{}')`,
      ]) {
        await expect(asUser(tx, admin, (q) => q.unsafe(statement))).rejects.toMatchObject({ code: '42501' });
      }
    });
  });

  it.each([
    ['the service role', 'service'],
    ['the table owner (postgres, as in Studio)', 'owner'],
  ])('cannot be rewritten, deleted or truncated by %s', async (_, who) => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Check')`);
      const attempt = (statement: string) =>
        who === 'service'
          ? asService(tx, (q) => q.unsafe(statement))
          : tx.savepoint(async (sp) => {
              await sp`set local role postgres`;
              return sp.unsafe(statement);
            });
      await expect(attempt(`update public.audit_log set reason = 'x' where record_id = '${ama.id}'`)).rejects.toMatchObject(
        who === 'service' ? { code: '42501' } : { hint: 'audit_log_immutable' },
      );
      await expect(attempt(`delete from public.audit_log where record_id = '${ama.id}'`)).rejects.toMatchObject(
        who === 'service' ? { code: '42501' } : { hint: 'audit_log_immutable' },
      );
      if (who === 'owner') {
        await expect(attempt('truncate public.audit_log')).rejects.toMatchObject({ hint: 'audit_log_immutable' });
      }
      expect((await entriesFor(tx, ama.id)).length).toBe(1);
    });
  });
});

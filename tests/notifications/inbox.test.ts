// The in-app inbox as the app uses it: list, badge, mark read; by persona.
import { afterAll, describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, db, deleteUsers, rollback, type TestUser } from '../harness/db.ts';
import { countedUnread, notify, unreadCount, userTopicMessages } from './helpers.ts';

describe('a user reading their notifications', () => {
  it('sees only their own notifications', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      const mine = await notify(tx, ama, 'booking.confirmed');
      await notify(tx, kwame, 'booking.requested');
      const rows = await asUser(tx, ama, (q) => q`select id from public.notifications`);
      expect(rows).toEqual([{ id: mine }]);
      const listed = await asUser(tx, ama, (q) => q`select id from public.list_notifications()`);
      expect(listed).toEqual([{ id: mine }]);
    });
  });

  it("cannot mark someone else's notification read, and learns nothing about it", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      const his = await notify(tx, kwame, 'booking.requested');
      await expect(asUser(tx, ama, (q) => q`select public.mark_notification_read(${his})`)).rejects.toMatchObject({
        code: 'PT404',
        hint: 'notification_not_found',
      });
      const direct = await asUser(tx, ama, (q) => q`update public.notifications set read_at = now() where id = ${his} returning id`);
      expect(direct).toEqual([]);
      const [row] = await tx`select read_at from public.notifications where id = ${his}`;
      expect(row?.read_at).toBeNull();
    });
  });

  it('cannot rewrite a notification, only mark it read or unread', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const id = await notify(tx, ama, 'booking.confirmed');
      await expect(
        asUser(tx, ama, (q) => q`update public.notifications set template_key = 'payment.received' where id = ${id}`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        asUser(tx, ama, (q) => q`insert into public.notifications (user_id, template_key) values (${ama.id}, 'x.y')`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, ama, (q) => q`delete from public.notifications where id = ${id}`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('marks one read; marking it again changes nothing', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const id = await notify(tx, ama, 'booking.confirmed');
      const [first] = await asUser(tx, ama, (q) => q`select read_at from public.mark_notification_read(${id})`);
      expect(first?.read_at).toBeInstanceOf(Date);
      const [again] = await asUser(tx, ama, (q) => q`select read_at from public.mark_notification_read(${id})`);
      expect(again?.read_at).toEqual(first?.read_at);
      expect(await unreadCount(tx, ama)).toBe(0);
    });
  });

  it('marks all read up to the moment the list was shown, not what arrived after', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const old1 = await notify(tx, ama, 'booking.confirmed');
      const old2 = await notify(tx, ama, 'review.received');
      const fresh = await notify(tx, ama, 'chat.new_message');
      await tx`update public.notifications set notified_at = now() - interval '10 minutes' where id in (${old1}, ${old2})`;
      const [first] = await asUser(tx, ama, (q) => q`select public.mark_all_notifications_read(now() - interval '1 minute') as marked`);
      expect(first?.marked).toBe(2);
      const unread = await asUser(tx, ama, (q) => q`select id from public.list_notifications(unread_only => true)`);
      expect(unread).toEqual([{ id: fresh }]);
      const [second] = await asUser(tx, ama, (q) => q`select public.mark_all_notifications_read() as marked`);
      expect(second?.marked).toBe(1);
    });
  });

  it('pages through the inbox newest first with a keyset cursor', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const id = (await notify(tx, ama, 'booking.reminder', { params: { n: i } }))!;
        await tx`update public.notifications set notified_at = now() - make_interval(mins => ${60 - i}) where id = ${id}`;
        ids.push(id);
      }
      // Two at the same instant: the id breaks the tie.
      await tx`update public.notifications set notified_at = (select notified_at from public.notifications where id = ${ids[4]!}) where id = ${ids[5]!}`;
      const pages: string[][] = [];
      let cursor: { notified_at: Date; id: string } | undefined;
      for (;;) {
        const c = cursor;
        const page = await asUser(tx, ama, (q) =>
          c
            ? q<{ id: string; notified_at: Date }[]>`select id, notified_at from public.list_notifications(3, ${c.notified_at}, ${c.id})`
            : q<{ id: string; notified_at: Date }[]>`select id, notified_at from public.list_notifications(3)`,
        );
        if (page.length === 0) break;
        pages.push(page.map((r) => r.id));
        cursor = page.at(-1);
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      const all = pages.flat();
      expect(new Set(all).size).toBe(7);
      const [expected] = await tx`select array_agg(id order by notified_at desc, id desc) as ids from public.notifications where user_id = ${ama.id}`;
      expect(all).toEqual(expected?.ids);
    });
  });

  it.each([
    ['a page of 0', 0, null, null],
    ['a page of 101', 101, null, null],
    ['half a cursor', 20, new Date(), null],
  ])('refuses %s', async (_, size, at, id) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select * from public.list_notifications(${size}, ${at}, ${id})`)).rejects.toMatchObject({
        hint: 'notification_page_invalid',
      });
    });
  });

  it('a suspended user still reads their inbox but cannot mark anything read', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      const id = await notify(tx, ama, 'account.suspended', { critical: true });
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Fraud check')`);
      expect(await asUser(tx, ama, (q) => q`select id from public.list_notifications()`)).toEqual([{ id }]);
      await expect(asUser(tx, ama, (q) => q`select public.mark_notification_read(${id})`)).rejects.toMatchObject({ hint: 'account_suspended' });
      expect(await asUser(tx, ama, (q) => q`update public.notifications set read_at = now() returning id`)).toEqual([]);
    });
  });
});

describe('anonymous clients', () => {
  it('see no notifications, preferences or devices and cannot call the inbox API', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await notify(tx, ama, 'booking.confirmed');
      for (const table of ['notifications', 'notification_preferences', 'device_tokens']) {
        await expect(asAnon(tx, (q) => q`select * from ${q('public.' + table)}`)).rejects.toMatchObject({ code: '42501' });
      }
      for (const call of [
        (q: typeof tx) => q`select * from public.list_notifications()`,
        (q: typeof tx) => q`select public.unread_notification_count()`,
        (q: typeof tx) => q`select public.mark_all_notifications_read()`,
      ]) {
        await expect(asAnon(tx, call)).rejects.toMatchObject({ code: '42501' });
      }
    });
  });
});

describe('the unread count', () => {
  it('stays exact through notify, collapse, read, unread and mark-all', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const check = async () => expect(await unreadCount(tx, ama)).toBe(await countedUnread(tx, ama));
      expect(await unreadCount(tx, ama)).toBe(0);
      const a = await notify(tx, ama, 'booking.confirmed');
      await check();
      await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:1' });
      await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:1' });
      await check();
      expect(await unreadCount(tx, ama)).toBe(2);
      await asUser(tx, ama, (q) => q`select public.mark_notification_read(${a})`);
      await check();
      // Marking unread again through the API's update.
      await asUser(tx, ama, (q) => q`update public.notifications set read_at = null where id = ${a}`);
      await check();
      expect(await unreadCount(tx, ama)).toBe(2);
      await asUser(tx, ama, (q) => q`select public.mark_all_notifications_read()`);
      await check();
      await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:1' });
      await check();
      expect(await unreadCount(tx, ama)).toBe(1);
      await tx`delete from public.notifications where id = ${a}`;
      await check();
    });
  });

  it('broadcasts the new count when notifications are read, so other devices update their badge', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const a = await notify(tx, ama, 'booking.confirmed');
      await notify(tx, ama, 'booking.reminder');
      await asUser(tx, ama, (q) => q`select public.mark_notification_read(${a})`);
      await asUser(tx, ama, (q) => q`select public.mark_notification_read(${a})`);
      await asUser(tx, ama, (q) => q`select public.mark_all_notifications_read()`);
      // Two decreases, none for the repeated mark (one transaction, so compare unordered).
      const counts = (await userTopicMessages(tx, ama)).filter((m) => m.event === 'unread_count').map((m) => m.payload.unread_count);
      expect(counts.sort()).toEqual([0, 1]);
    });
  });

  describe('under concurrent notifications (real connections)', () => {
    const users: TestUser[] = [];
    afterAll(async () => deleteUsers(...users));

    it('counts every one of 20 concurrent notifications and collapses concurrent ones per key', async () => {
      const ama = await createUser(db());
      users.push(ama);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db().begin((q) => notify(q, ama, i % 2 === 0 ? 'booking.reminder' : 'chat.new_message', { collapseKey: i % 2 === 0 ? null : 'thread:busy' })),
        ),
      );
      const rows = await db()`select collapse_key, occurrences from public.notifications where user_id = ${ama.id} order by collapse_key nulls first`;
      expect(rows).toHaveLength(11);
      expect(rows.at(-1)).toEqual({ collapse_key: 'thread:busy', occurrences: 10 });
      expect(await unreadCount(db(), ama)).toBe(11);
      expect(await countedUnread(db(), ama)).toBe(11);
    });
  });
});

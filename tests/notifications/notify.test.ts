// private.notify: the one call every context makes to tell a user something.
import { describe, expect, it } from 'vitest';
import { asService, asUser, createUser, rollback } from '../harness/db.ts';
import { deliveries, notify, registerDevice, unreadCount, userTopicMessages } from './helpers.ts';

describe('private.notify', () => {
  it('creates exactly one notification and broadcasts it once on the user topic', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const id = await notify(tx, ama, 'booking.confirmed', { params: { booking_id: 'b-1', provider: 'Kwame' } });
      const rows = await tx`select id, user_id, template_key, params, occurrences, read_at, critical from public.notifications where user_id = ${ama.id}`;
      expect(rows).toEqual([
        { id, user_id: ama.id, template_key: 'booking.confirmed', params: { booking_id: 'b-1', provider: 'Kwame' }, occurrences: 1, read_at: null, critical: false },
      ]);
      const messages = await userTopicMessages(tx, ama);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        event: 'notification',
        extension: 'broadcast',
        private: true,
        payload: { unread_count: 1, notification: { id, template_key: 'booking.confirmed', params: { booking_id: 'b-1' } } },
      });
    });
  });

  it('collapses per collapse key: the unread one is updated and moved up, not duplicated', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const first = await notify(tx, ama, 'chat.new_message', { params: { preview: 'Hi' }, collapseKey: 'thread:t1' });
      await tx`update public.notifications set notified_at = now() - interval '1 hour' where id = ${first}`;
      const other = await notify(tx, ama, 'chat.new_message', { params: { preview: 'Other thread' }, collapseKey: 'thread:t2' });
      await tx`update public.notifications set notified_at = now() - interval '30 minutes' where id = ${other}`;
      const second = await notify(tx, ama, 'chat.new_message', { params: { preview: 'Are you free?' }, collapseKey: 'thread:t1' });
      expect(second).toBe(first);
      expect(other).not.toBe(first);
      const rows = await asUser(tx, ama, (q) => q`select id, params, occurrences, notified_at > created_at as moved from public.list_notifications()`);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ id: first, params: { preview: 'Are you free?' }, occurrences: 2 });
      expect(await unreadCount(tx, ama)).toBe(2);
      // One broadcast per call, each with the count after it (one transaction: no order).
      expect((await userTopicMessages(tx, ama)).map((m) => m.payload.unread_count).sort()).toEqual([1, 2, 2]);
    });
  });

  it('starts a new notification for the key once the collapsed one was read', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const first = await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:t1' });
      await asUser(tx, ama, (q) => q`select public.mark_notification_read(${first})`);
      const second = await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:t1' });
      expect(second).not.toBe(first);
      expect(await unreadCount(tx, ama)).toBe(1);
    });
  });

  it('honours an in-app opt-out for the category: nothing is created or sent', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await registerDevice(tx, ama);
      await asUser(tx, ama, (q) => q`select public.set_notification_preference('in_app', false, 'promo')`);
      expect(await notify(tx, ama, 'promo.weekly_deals')).toBeNull();
      expect(await notify(tx, ama, 'booking.confirmed')).not.toBeNull();
      const [row] = await tx`select count(*)::integer as n from public.notifications where user_id = ${ama.id}`;
      expect(row?.n).toBe(1);
      expect(await userTopicMessages(tx, ama)).toHaveLength(1);
      expect(await deliveries(tx, ama)).toHaveLength(1);
    });
  });

  it('a category preference wins over the "all" preference', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await asUser(tx, ama, async (q) => {
        await q`select public.set_notification_preference('in_app', false)`;
        await q`select public.set_notification_preference('in_app', true, 'booking')`;
      });
      expect(await notify(tx, ama, 'review.received')).toBeNull();
      expect(await notify(tx, ama, 'booking.confirmed')).not.toBeNull();
    });
  });

  it('queues push only for users with a device who allow push', async () => {
    await rollback(async (tx) => {
      const withDevice = await createUser(tx);
      const withoutDevice = await createUser(tx);
      const pushOff = await createUser(tx);
      await registerDevice(tx, withDevice);
      await registerDevice(tx, pushOff);
      await asUser(tx, pushOff, (q) => q`select public.set_notification_preference('push', false, 'booking')`);
      for (const user of [withDevice, withoutDevice, pushOff]) await notify(tx, user, 'booking.confirmed');
      expect(await deliveries(tx, withDevice)).toMatchObject([{ channel: 'push', status: 'pending', attempts: 0 }]);
      expect(await deliveries(tx, withoutDevice)).toEqual([]);
      expect(await deliveries(tx, pushOff)).toEqual([]);
    });
  });

  it('a collapsed notification still waiting for push is pushed once, with its latest content', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await registerDevice(tx, ama);
      await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:t1' });
      await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:t1' });
      await notify(tx, ama, 'chat.new_message', { collapseKey: 'thread:t1' });
      expect(await deliveries(tx, ama)).toHaveLength(1);
    });
  });

  it('critical notifications ignore in-app and push opt-outs', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await registerDevice(tx, ama);
      await asUser(tx, ama, async (q) => {
        await q`select public.set_notification_preference('in_app', false)`;
        await q`select public.set_notification_preference('push', false)`;
      });
      expect(await notify(tx, ama, 'payment.failed', { critical: true })).not.toBeNull();
      expect(await deliveries(tx, ama)).toMatchObject([{ channel: 'push' }]);
    });
  });

  describe('SMS fallback for critical notifications', () => {
    it('goes straight to SMS when the user has no device and the market enables it', async () => {
      await rollback(async (tx) => {
        await tx`update public.markets set sms_fallback_for_critical = true where code = 'gh'`;
        const ama = await createUser(tx);
        await notify(tx, ama, 'payment.failed', { critical: true });
        await notify(tx, ama, 'booking.confirmed');
        expect(await deliveries(tx, ama)).toMatchObject([{ channel: 'sms', status: 'pending' }]);
      });
    });

    it('sends no SMS where the market does not enable it', async () => {
      await rollback(async (tx) => {
        await tx`update public.markets set sms_fallback_for_critical = false where code = 'gh'`;
        const ama = await createUser(tx);
        await notify(tx, ama, 'payment.failed', { critical: true });
        expect(await deliveries(tx, ama)).toEqual([]);
      });
    });

    it('respects an SMS opt-out even for critical notifications', async () => {
      await rollback(async (tx) => {
        await tx`update public.markets set sms_fallback_for_critical = true where code = 'gh'`;
        const ama = await createUser(tx);
        await asUser(tx, ama, (q) => q`select public.set_notification_preference('sms', false)`);
        await notify(tx, ama, 'payment.failed', { critical: true });
        expect(await deliveries(tx, ama)).toEqual([]);
      });
    });
  });

  it.each([
    ['a template key without a category', 'confirmed', {}, 'notification_template_invalid', '22023'],
    ['an upper-case template key', 'Booking.Confirmed', {}, 'notification_template_invalid', '22023'],
    ['params that are not an object', 'booking.confirmed', [1, 2], 'notification_params_invalid', '22023'],
    ['params over 4000 bytes', 'booking.confirmed', { text: 'x'.repeat(4100) }, 'notification_params_invalid', '22023'],
  ])('refuses %s', async (_, key, params, hint, code) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(
        tx`select private.notify(${ama.id}, ${key}, ${JSON.stringify(params)}::text::jsonb)`,
      ).rejects.toMatchObject({ code, hint });
    });
  });

  it('refuses an unknown recipient with a stable code, and notifies nobody for a null one', async () => {
    await rollback(async (tx) => {
      await expect(tx.savepoint((sp) => sp`select private.notify(gen_random_uuid(), 'booking.confirmed')`)).rejects.toMatchObject({
        code: 'PT404',
        hint: 'notification_recipient_unknown',
      });
      const [row] = await tx`select private.notify(null, 'earnings.released') as id`;
      expect(row?.id).toBeNull();
    });
  });

  it('no client can call it: users and anon have no execute, the service role does', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const mallory = await createUser(tx);
      await expect(
        asUser(tx, mallory, (q) => q`select private.notify(${ama.id}, 'booking.confirmed')`),
      ).rejects.toMatchObject({ code: '42501' });
      const [row] = await asService(tx, (q) => q`select private.notify(${ama.id}, 'account.verified') as id`);
      expect(row?.id).toBeTruthy();
    });
  });
});

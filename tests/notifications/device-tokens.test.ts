// Device tokens: the app registers its FCM token; by persona.
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback } from '../harness/db.ts';
import { fcmToken, registerDevice } from './helpers.ts';

describe('a user registering devices', () => {
  it('registers a token and sees it; registering again refreshes it instead of duplicating', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const token = fcmToken();
      const [first] = await asUser(tx, ama, (q) => q`select * from public.register_device_token(${token}, 'android')`);
      expect(first).toMatchObject({ user_id: ama.id, token, platform: 'android' });
      await tx`update public.device_tokens set last_seen_at = now() - interval '3 days' where token = ${token}`;
      const [again] = await asUser(tx, ama, (q) => q`select * from public.register_device_token(${token}, 'android')`);
      expect(again?.id).toBe(first?.id);
      const mine = await asUser(tx, ama, (q) => q`select token, last_seen_at > now() - interval '1 minute' as fresh from public.device_tokens`);
      expect(mine).toEqual([{ token, fresh: true }]);
    });
  });

  it("sees and deletes only their own tokens, never a stranger's", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      const hers = await registerDevice(tx, ama);
      const his = await registerDevice(tx, kwame, fcmToken(), 'ios');
      expect(await asUser(tx, ama, (q) => q`select token from public.device_tokens`)).toEqual([{ token: hers }]);
      expect(await asUser(tx, ama, (q) => q`delete from public.device_tokens where token = ${his} returning id`)).toEqual([]);
      expect(await asUser(tx, ama, (q) => q`update public.device_tokens set platform = 'web' where token = ${his} returning id`)).toEqual([]);
      const [notMine] = await asUser(tx, ama, (q) => q`select public.unregister_device_token(${his}) as gone`);
      expect(notMine?.gone).toBe(false);
      const [mine] = await asUser(tx, ama, (q) => q`select public.unregister_device_token(${hers}) as removed`);
      expect(mine?.removed).toBe(true);
      const left = await tx`select token from public.device_tokens where user_id in (${ama.id}, ${kwame.id})`;
      expect(left).toEqual([{ token: his }]);
    });
  });

  it('cannot insert a token in another user\'s name', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      await expect(
        asUser(tx, ama, (q) => q`insert into public.device_tokens (user_id, token, platform) values (${kwame.id}, ${fcmToken()}, 'android')`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('moves a token to whoever registers it next (another account signed in on the device)', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      const token = await registerDevice(tx, ama);
      await registerDevice(tx, kwame, token, 'android');
      const rows = await tx`select user_id from public.device_tokens where token = ${token}`;
      expect(rows).toEqual([{ user_id: kwame.id }]);
      expect(await asUser(tx, ama, (q) => q`select token from public.device_tokens`)).toEqual([]);
    });
  });

  it('keeps the ten most recently seen devices', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const tokens: string[] = [];
      for (let i = 0; i < 11; i += 1) {
        const token = await registerDevice(tx, ama);
        await tx`update public.device_tokens set last_seen_at = now() - make_interval(days => ${20 - i}) where token = ${token}`;
        tokens.push(token);
      }
      await registerDevice(tx, ama);
      const kept = await tx<{ token: string }[]>`select token from public.device_tokens where user_id = ${ama.id}`;
      expect(kept).toHaveLength(10);
      expect(kept.map((r) => r.token)).not.toContain(tokens[0]);
      expect(kept.map((r) => r.token)).not.toContain(tokens[1]);
    });
  });

  it.each([
    ['an empty token', ''],
    ['a short token', 'abc'],
    ['a token with spaces', 'abc def ghi jkl mno pqr'],
  ])('refuses %s with a stable code', async (_, token) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select public.register_device_token(${token}, 'android')`)).rejects.toMatchObject({
        code: '22023',
        hint: 'device_token_invalid',
      });
    });
  });

  it('a suspended user can register no token, through the API or the table', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      const existing = await registerDevice(tx, ama);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Chargebacks')`);
      await expect(asUser(tx, ama, (q) => q`select public.register_device_token(${fcmToken()}, 'android')`)).rejects.toMatchObject({
        code: 'PT403',
        hint: 'account_suspended',
      });
      await expect(
        asUser(tx, ama, (q) => q`insert into public.device_tokens (token, platform) values (${fcmToken()}, 'android')`),
      ).rejects.toMatchObject({ code: '42501' });
      expect(await asUser(tx, ama, (q) => q`delete from public.device_tokens where token = ${existing} returning id`)).toEqual([]);
      // Still readable.
      expect(await asUser(tx, ama, (q) => q`select token from public.device_tokens`)).toEqual([{ token: existing }]);
    });
  });

  it('anon can register nothing', async () => {
    await rollback(async (tx) => {
      await expect(asAnon(tx, (q) => q`select public.register_device_token(${fcmToken()}, 'android')`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('notification preferences', () => {
  it("a user sets and sees their own preferences, never a stranger's", async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const kwame = await createUser(tx);
      await asUser(tx, ama, (q) => q`select public.set_notification_preference('push', false, 'promo')`);
      const [updated] = await asUser(tx, ama, (q) => q`select * from public.set_notification_preference('push', true, 'promo')`);
      expect(updated).toMatchObject({ user_id: ama.id, channel: 'push', category: 'promo', enabled: true });
      await asUser(tx, kwame, (q) => q`select public.set_notification_preference('sms', false)`);
      expect(await asUser(tx, ama, (q) => q`select channel, category, enabled from public.notification_preferences`)).toEqual([
        { channel: 'push', category: 'promo', enabled: true },
      ]);
      expect(await asUser(tx, ama, (q) => q`delete from public.notification_preferences where user_id = ${kwame.id} returning channel`)).toEqual([]);
      expect(await asUser(tx, ama, (q) => q`update public.notification_preferences set enabled = true where user_id = ${kwame.id} returning channel`)).toEqual([]);
    });
  });

  it('refuses a malformed category', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select public.set_notification_preference('push', false, 'Bad Category')`)).rejects.toMatchObject({
        code: '23514',
      });
    });
  });

  it('a suspended user cannot change preferences', async () => {
    await rollback(async (tx) => {
      const admin = await createUser(tx, { roles: ['admin'] });
      const ama = await createUser(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${ama.id}, 'Spam')`);
      await expect(asUser(tx, ama, (q) => q`select public.set_notification_preference('push', false)`)).rejects.toMatchObject({
        hint: 'account_suspended',
      });
      await expect(
        asUser(tx, ama, (q) => q`insert into public.notification_preferences (channel, enabled) values ('push', false)`),
      ).rejects.toMatchObject({ code: '42501' });
    });
  });
});

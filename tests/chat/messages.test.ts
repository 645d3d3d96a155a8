// Messages: sending (idempotently), history pages, editing, deleting, blocking,
// reporting, and the notification a new message leaves.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asUser, createUser, rollback } from '../harness/db.ts';
import { createAdmin } from '../harness/services.ts';
import { conversation, history, markRead, participant, send, type Message } from '../harness/chat.ts';

describe('sending', () => {
  it('a participant sends a text message; it is the thread’s newest', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, '  Is Saturday morning possible?\n');
      expect(message).toMatchObject({ thread_id: thread.id, sender_id: customer.id, kind: 'text', body: 'Is Saturday morning possible?' });
      const [row] = await tx`select last_message_id from public.chat_threads where id = ${thread.id}`;
      expect(row?.last_message_id).toBe(message.id);
    });
  });

  it('a resend with the same client id returns the stored message and stores nothing new', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const clientId = randomUUID();
      const first = await send(tx, customer, thread.id, 'Hello', { clientId });
      const retry = await send(tx, customer, thread.id, 'Hello', { clientId });
      const retryEdited = await send(tx, customer, thread.id, 'Hello again?', { clientId });
      expect(retry).toEqual(first);
      expect(retryEdited).toEqual(first);
      const [row] = await tx`select count(*)::integer as n from public.chat_messages where thread_id = ${thread.id}`;
      expect(row?.n).toBe(1);
      const [counts] = await tx`select unread_count from public.chat_participants where thread_id = ${thread.id} and user_id = ${provider.id}`;
      expect(counts?.unread_count).toBe(1);
    });
  });

  it('a resend changes nothing about the thread: its newest message and activity stay', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const first = await send(tx, customer, thread.id, 'Hello');
      await tx`update public.chat_messages set created_at = now() - interval '1 hour' where id = ${first.id.toString()}`;
      await tx`update public.chat_threads set activity_at = now() - interval '1 hour' where id = ${thread.id}`;
      const [before] = await tx`select last_message_id, activity_at from public.chat_threads where id = ${thread.id}`;
      await send(tx, customer, thread.id, 'Hello', { clientId: first.client_id });
      const [after] = await tx`select last_message_id, activity_at from public.chat_threads where id = ${thread.id}`;
      expect(after).toEqual(before);
      expect((await participant(tx, provider, thread.id)).unread_count).toBe(1);
    });
  });

  it('a resend into a thread blocked since returns the stored message', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const first = await send(tx, customer, thread.id, 'Hello');
      await asUser(tx, provider, (q) => q`select public.set_thread_blocked(${thread.id}, true)`);
      expect(await send(tx, customer, thread.id, 'Hello', { clientId: first.client_id })).toEqual(first);
    });
  });

  it('the same client id in another thread is refused', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const general = await asUser(tx, customer, async (q) => (await q`select * from public.open_inquiry(${provider.id})`)[0]!);
      const clientId = randomUUID();
      await send(tx, customer, thread.id, 'Hello', { clientId });
      await expect(send(tx, customer, general.id as string, 'Hello', { clientId })).rejects.toMatchObject({
        code: 'PT409',
        hint: 'chat_client_id_reused',
      });
    });
  });

  it.each([
    ['no text and no attachment', null],
    ['only whitespace', ' \n\t '],
    ['more than 4000 characters', 'a'.repeat(4001)],
  ])('refuses a message with %s', async (_, body) => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await expect(send(tx, customer, thread.id, body)).rejects.toMatchObject({ code: '22023', hint: 'chat_message_invalid' });
    });
  });

  it('a suspended participant cannot send', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const admin = await createAdmin(tx);
      await asUser(tx, admin, (q) => q`select public.suspend_user(${customer.id}, 'Spam')`);
      await expect(send(tx, customer, thread.id, 'Still here')).rejects.toMatchObject({ code: 'PT403', hint: 'account_suspended' });
      // The other side can still answer; the suspended user can still read.
      await send(tx, provider, thread.id, 'Noted');
      expect(await history(tx, customer, thread.id)).toHaveLength(1);
    });
  });
});

describe('history', () => {
  it('pages newest first by id, 50 at a time, with before_id as the cursor', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const sent: Message[] = [];
      for (let i = 0; i < 120; i++) sent.push(await send(tx, i % 3 ? customer : provider, thread.id, `message ${i}`));
      const first = await history(tx, provider, thread.id);
      const second = await history(tx, provider, thread.id, first.at(-1)!.id);
      const third = await history(tx, provider, thread.id, second.at(-1)!.id);
      expect([first.length, second.length, third.length]).toEqual([50, 50, 20]);
      expect([...first, ...second, ...third].map((m) => m.body)).toEqual(sent.map((m) => m.body).reverse());
      expect(await history(tx, provider, thread.id, third.at(-1)!.id)).toEqual([]);
    });
  });

  it.each([0, 101])('refuses a page size of %i', async (size) => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await expect(history(tx, customer, thread.id, null, size)).rejects.toMatchObject({ code: '22023', hint: 'chat_page_invalid' });
    });
  });

  it('a page read directly is one backward range scan of the (thread_id, id) index, membership probed per row', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'hello');
      // A nearly empty table would be read whole: make scans and sorts look as dear as on a big one.
      await tx`set local enable_seqscan = off`;
      await tx`set local enable_sort = off`;
      const plan = await asUser(tx, customer, (q) => q<{ 'QUERY PLAN': string }[]>`
        explain (costs off)
        select * from public.chat_messages where thread_id = ${thread.id} and id < 1000000 order by id desc limit 50`);
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('Index Scan Backward using chat_messages_thread_id');
      expect(text).toContain('private.is_chat_participant(thread_id)');
      expect(text).not.toContain('SubPlan');
    });
  });
});

describe('editing', () => {
  it('the author edits within 15 minutes; the message shows it was edited', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Saturday at 9?');
      const [edited] = await asUser(tx, customer, (q) => q`select * from public.edit_message(${message.id.toString()}::bigint, 'Saturday at 10?')`);
      expect(edited).toMatchObject({ id: message.id, body: 'Saturday at 10?' });
      expect(edited?.edited_at).not.toBeNull();
    });
  });

  it('after 15 minutes the edit is refused', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Saturday at 9?');
      await tx`update public.chat_messages set created_at = now() - interval '15 minutes 1 second' where id = ${message.id.toString()}`;
      await expect(
        asUser(tx, customer, (q) => q`select public.edit_message(${message.id.toString()}::bigint, 'Saturday at 10?')`),
      ).rejects.toMatchObject({ code: 'PT409', hint: 'chat_edit_window_closed' });
      const [row] = await tx`select body from public.chat_messages where id = ${message.id.toString()}`;
      expect(row?.body).toBe('Saturday at 9?');
    });
  });

  it('the other participant cannot edit it; a stranger does not even find it', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const mallory = await createUser(tx);
      const message = await send(tx, customer, thread.id, 'Saturday at 9?');
      await expect(
        asUser(tx, provider, (q) => q`select public.edit_message(${message.id.toString()}::bigint, 'Sunday')`),
      ).rejects.toMatchObject({ code: '42501', hint: 'chat_not_author' });
      await expect(
        asUser(tx, mallory, (q) => q`select public.edit_message(${message.id.toString()}::bigint, 'Sunday')`),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'chat_message_not_found' });
    });
  });
});

describe('deleting', () => {
  it('the author deletes a message: its content is wiped, a placeholder stays in the history', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Wrong chat, sorry');
      const [deleted] = await asUser(tx, customer, (q) => q`select * from public.delete_message(${message.id.toString()}::bigint)`);
      expect(deleted).toMatchObject({ id: message.id, body: null, deleted_by: customer.id });
      const [seen] = await history(tx, provider, thread.id);
      expect(seen).toMatchObject({ id: message.id, body: null });
      expect(seen?.deleted_at).not.toBeNull();
      // Deleting twice is harmless; editing a deleted message is not possible.
      await asUser(tx, customer, (q) => q`select public.delete_message(${message.id.toString()}::bigint)`);
      await expect(
        asUser(tx, customer, (q) => q`select public.edit_message(${message.id.toString()}::bigint, 'x')`),
      ).rejects.toMatchObject({ hint: 'chat_message_deleted' });
    });
  });

  it('the other participant cannot delete it; an admin can, and the audit log records it', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const admin = await createAdmin(tx);
      const message = await send(tx, customer, thread.id, 'Pay me outside the app');
      await expect(
        asUser(tx, provider, (q) => q`select public.delete_message(${message.id.toString()}::bigint)`),
      ).rejects.toMatchObject({ code: '42501', hint: 'chat_not_author' });
      const [deleted] = await asUser(tx, admin, (q) => q`select * from public.delete_message(${message.id.toString()}::bigint)`);
      expect(deleted).toMatchObject({ body: null, deleted_by: admin.id });
      const [entry] = await tx`
        select actor_id, action from public.audit_log where table_name = 'public.chat_messages' and record_id = ${message.id.toString()}`;
      expect(entry).toEqual({ actor_id: admin.id, action: 'chat_message.removed' });
    });
  });
});

describe('blocking', () => {
  it('after the provider blocks the thread the customer cannot send, nor can the provider until unblocking', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'Hello?');
      const [row] = await asUser(tx, provider, (q) => q`select * from public.set_thread_blocked(${thread.id}, true)`);
      expect(row?.blocked_at).not.toBeNull();
      await expect(send(tx, customer, thread.id, 'Hello??')).rejects.toMatchObject({ code: 'PT403', hint: 'chat_thread_blocked' });
      await expect(send(tx, provider, thread.id, 'Last word')).rejects.toMatchObject({ hint: 'chat_thread_blocked' });
      // The blocked customer can neither unblock it nor send in it by blocking and unblocking themselves.
      await asUser(tx, customer, (q) => q`select public.set_thread_blocked(${thread.id}, false)`);
      await expect(send(tx, customer, thread.id, 'Hello???')).rejects.toMatchObject({ hint: 'chat_thread_blocked' });
      await asUser(tx, provider, (q) => q`select public.set_thread_blocked(${thread.id}, false)`);
      await send(tx, customer, thread.id, 'Thanks for unblocking');
    });
  });

  it('a blocked thread refuses edits too', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Hello?');
      await asUser(tx, provider, (q) => q`select public.set_thread_blocked(${thread.id}, true)`);
      await expect(
        asUser(tx, customer, (q) => q`select public.edit_message(${message.id.toString()}::bigint, 'You will regret this')`),
      ).rejects.toMatchObject({ hint: 'chat_thread_blocked' });
    });
  });
});

describe('reports', () => {
  it('a participant reports a message; admins see it in the queue with what it said, even after the author deletes it', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const admin = await createAdmin(tx);
      const message = await send(tx, provider, thread.id, 'Send the money to my personal number');
      const [report] = await asUser(tx, customer, (q) => q`
        select * from public.report_message(${message.id.toString()}::bigint, 'fraud', 'Asks to pay outside the app')`);
      const [again] = await asUser(tx, customer, (q) => q`select * from public.report_message(${message.id.toString()}::bigint, 'spam')`);
      expect(again?.id).toBe(report?.id);
      await asUser(tx, provider, (q) => q`select public.delete_message(${message.id.toString()}::bigint)`);

      const queue = await asUser(tx, admin, (q) => q`select * from public.list_chat_reports()`);
      const mine = queue.filter((r) => r.id === report?.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        reporter_id: customer.id,
        reported_user_id: provider.id,
        reason: 'fraud',
        message_body: 'Send the money to my personal number',
        status: 'open',
      });
    });
  });

  it('the reporter sees their report; the reported user and strangers do not, nor the queue', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const mallory = await createUser(tx);
      const message = await send(tx, provider, thread.id, 'Rude words');
      const [report] = await asUser(tx, customer, (q) => q`select * from public.report_message(${message.id.toString()}::bigint, 'harassment')`);
      expect(await asUser(tx, customer, (q) => q`select id from public.chat_reports where id = ${report!.id}`)).toHaveLength(1);
      expect(await asUser(tx, provider, (q) => q`select id from public.chat_reports where id = ${report!.id}`)).toEqual([]);
      expect(await asUser(tx, mallory, (q) => q`select id from public.chat_reports where id = ${report!.id}`)).toEqual([]);
      await expect(asUser(tx, customer, (q) => q`select * from public.list_chat_reports()`)).rejects.toMatchObject({ hint: 'forbidden' });
    });
  });

  it('nobody reports their own message, and strangers cannot report', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const mallory = await createUser(tx);
      const message = await send(tx, customer, thread.id, 'Hi');
      await expect(
        asUser(tx, customer, (q) => q`select public.report_message(${message.id.toString()}::bigint, 'spam')`),
      ).rejects.toMatchObject({ code: '22023', hint: 'chat_report_invalid' });
      await expect(
        asUser(tx, mallory, (q) => q`select public.report_message(${message.id.toString()}::bigint, 'spam')`),
      ).rejects.toMatchObject({ code: 'PT404', hint: 'chat_message_not_found' });
    });
  });

  it('an admin actions a report and deletes the message; the report cannot be resolved twice', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const admin = await createAdmin(tx);
      const message = await send(tx, provider, thread.id, 'Scam link');
      const [report] = await asUser(tx, customer, (q) => q`select * from public.report_message(${message.id.toString()}::bigint, 'fraud')`);
      const [resolved] = await asUser(tx, admin, (q) => q`
        select * from public.resolve_chat_report(${report!.id}, 'actioned', 'Removed the link', delete_message => true)`);
      expect(resolved).toMatchObject({ status: 'actioned', resolved_by: admin.id, resolution_note: 'Removed the link' });
      const [row] = await tx`select body, deleted_by from public.chat_messages where id = ${message.id.toString()}`;
      expect(row).toEqual({ body: null, deleted_by: admin.id });
      await expect(
        asUser(tx, admin, (q) => q`select public.resolve_chat_report(${report!.id}, 'dismissed')`),
      ).rejects.toMatchObject({ code: 'PT409', hint: 'chat_report_closed' });
      await expect(
        asUser(tx, customer, (q) => q`select public.resolve_chat_report(${report!.id}, 'dismissed')`),
      ).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
    });
  });
});

describe('notifications', () => {
  it('each new message notifies the other participant, collapsed into one unread notification per thread', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await tx`update public.profiles set display_name = 'Ama' where id = ${customer.id}`;
      await send(tx, customer, thread.id, 'Hello');
      const last = await send(tx, customer, thread.id, 'Are you there?');
      const rows = await tx`
        select template_key, collapse_key, occurrences, params, read_at from public.notifications where user_id = ${provider.id}`;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        template_key: 'chat.message',
        collapse_key: `thread:${thread.id}`,
        occurrences: 2,
        read_at: null,
        params: { thread_id: thread.id, message_id: Number(last.id), sender_name: 'Ama', preview: 'Are you there?', kind: 'text' },
      });
      const own = await tx`select id from public.notifications where user_id = ${customer.id}`;
      expect(own).toEqual([]);
    });
  });

  it('reading the thread, or replying in it, marks its notification read', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'Hello');
      await markRead(tx, provider, thread.id);
      const [afterRead] = await tx`select read_at from public.notifications where user_id = ${provider.id}`;
      expect(afterRead?.read_at).not.toBeNull();

      await send(tx, customer, thread.id, 'Hello again');
      await send(tx, provider, thread.id, 'Hi!');
      const unread = await tx`select id from public.notifications where user_id = ${provider.id} and read_at is null`;
      expect(unread).toEqual([]);
    });
  });

  it('a participant who muted the thread is not notified', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await asUser(tx, provider, (q) => q`select public.set_thread_muted(${thread.id}, true)`);
      await send(tx, customer, thread.id, 'Hello');
      expect(await tx`select id from public.notifications where user_id = ${provider.id}`).toEqual([]);
      const [row] = await tx`select unread_count from public.chat_participants where thread_id = ${thread.id} and user_id = ${provider.id}`;
      expect(row?.unread_count).toBe(1);
    });
  });
});

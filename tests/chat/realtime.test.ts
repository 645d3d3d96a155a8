// Realtime for chat: the private topic thread:<id>, authorized through the one pair of
// realtime.messages policies (the 'thread' kind in private.realtime_topic_kinds), and
// the broadcasts the database sends on it when messages are created, edited or deleted.
import { describe, expect, it } from 'vitest';
import { asUser, createUser, rollback } from '../harness/db.ts';
import { createAdmin } from '../harness/services.ts';
import { canReceive, canSend, conversation, send, threadBroadcasts, type Extension } from '../harness/chat.ts';

const EXTENSIONS: Extension[] = ['broadcast', 'presence'];

describe('Realtime: who may join thread:<id>', () => {
  it('both participants may receive broadcasts and presence', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      expect(await canReceive(tx, customer, `thread:${thread.id}`)).toEqual({ broadcast: true, presence: true });
      expect(await canReceive(tx, provider, `thread:${thread.id}`)).toEqual({ broadcast: true, presence: true });
    });
  });

  it.each(EXTENSIONS)('participants may send %s (typing, online) on their thread', async (extension) => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      expect(await canSend(tx, customer, `thread:${thread.id}`, extension)).toBe(true);
      expect(await canSend(tx, provider, `thread:${thread.id}`, extension)).toBe(true);
    });
  });

  it('a stranger may neither receive nor send on it, an admin neither', async () => {
    await rollback(async (tx) => {
      const { thread } = await conversation(tx);
      const mallory = await createUser(tx);
      const admin = await createAdmin(tx);
      for (const user of [mallory, admin]) {
        expect(await canReceive(tx, user, `thread:${thread.id}`)).toEqual({ broadcast: false, presence: false });
        for (const extension of EXTENSIONS) expect(await canSend(tx, user, `thread:${thread.id}`, extension)).toBe(false);
      }
    });
  });

  it('anon may neither receive nor send on it', async () => {
    await rollback(async (tx) => {
      const { thread } = await conversation(tx);
      expect(await canReceive(tx, null, `thread:${thread.id}`)).toEqual({ broadcast: false, presence: false });
      expect(await canSend(tx, null, `thread:${thread.id}`, 'broadcast')).toBe(false);
    });
  });

  it.each([
    ['an upper-case id', (id: string) => `thread:${id.toUpperCase()}`],
    ['a malformed id', () => 'thread:not-a-uuid'],
    ['a trailing suffix', (id: string) => `thread:${id}:x`],
    ['no id', () => 'thread:'],
  ])('refuses a thread topic with %s', async (_, topic) => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      expect(await canReceive(tx, customer, topic(thread.id))).toEqual({ broadcast: false, presence: false });
    });
  });

  it('a participant cannot read another thread’s broadcasts through their own authorized topic', async () => {
    await rollback(async (tx) => {
      const a = await conversation(tx);
      const b = await conversation(tx);
      await send(tx, b.customer, b.thread.id, 'private to b');
      const rows = await asUser(tx, a.customer, async (q) => {
        await q`select set_config('realtime.topic', ${`thread:${a.thread.id}`}, true)`;
        return q`select id from realtime.messages where topic = ${`thread:${b.thread.id}`}`;
      });
      expect(rows).toEqual([]);
    });
  });

  it('once the thread is blocked, participants still receive but nobody may send', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await asUser(tx, provider, (q) => q`select public.set_thread_blocked(${thread.id}, true)`);
      expect(await canReceive(tx, customer, `thread:${thread.id}`)).toEqual({ broadcast: true, presence: true });
      expect(await canSend(tx, customer, `thread:${thread.id}`, 'broadcast')).toBe(false);
      expect(await canSend(tx, provider, `thread:${thread.id}`, 'presence')).toBe(false);
    });
  });

  it('a suspended participant still receives but may not send', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await tx`update public.accounts set status = 'suspended', status_reason = 'test' where id = ${customer.id}`;
      expect(await canReceive(tx, customer, `thread:${thread.id}`)).toEqual({ broadcast: true, presence: true });
      expect(await canSend(tx, customer, `thread:${thread.id}`, 'broadcast')).toBe(false);
    });
  });

  it('registers the thread kind without adding policies to realtime.messages', async () => {
    await rollback(async (tx) => {
      const [kind] = await tx`select can_receive, can_send from private.realtime_topic_kinds where prefix = 'thread'`;
      expect(kind).toEqual({ can_receive: 'private.can_receive_thread_topic', can_send: 'private.can_send_thread_topic' });
      const policies = await tx`
        select cmd, count(*)::integer as n from pg_policies
        where schemaname = 'realtime' and tablename = 'messages' and 'authenticated' = any (roles) and permissive = 'PERMISSIVE'
        group by cmd order by cmd`;
      expect(policies).toEqual([
        { cmd: 'INSERT', n: 1 },
        { cmd: 'SELECT', n: 1 },
      ]);
    });
  });
});

describe('Realtime: what the database broadcasts on thread:<id>', () => {
  it('a new message, private, with the message as the app stores it (client id included, for the sender’s other devices)', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Hello');
      const sent = await threadBroadcasts(tx, thread.id);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        event: 'message_created',
        private: true,
        payload: { message: { id: Number(message.id), thread_id: thread.id, sender_id: customer.id, client_id: message.client_id, body: 'Hello' } },
      });
    });
  });

  it('without today’s partition of realtime.messages a send still stores the message (realtime.send only warns)', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const [{ part }] = (await tx`select 'messages_' || to_char(localtimestamp, 'YYYY_MM_DD') as part`) as unknown as [{ part: string }];
      // As the Realtime service drops old partitions (the rollback restores it).
      await tx.unsafe(`drop table realtime.${part}`);
      const message = await send(tx, customer, thread.id, 'Still here');
      expect(message).toMatchObject({ body: 'Still here' });
      expect(await threadBroadcasts(tx, thread.id)).toEqual([]);
      const [participant] = await asUser(tx, provider, (q) => q`
        select unread_count from public.chat_participants where thread_id = ${thread.id} and user_id = ${provider.id}`);
      expect(participant?.unread_count).toBe(1);
    });
  });

  it('a resend broadcasts nothing more', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Hello');
      await send(tx, customer, thread.id, 'Hello', { clientId: message.client_id });
      expect(await threadBroadcasts(tx, thread.id)).toHaveLength(1);
    });
  });

  it('an edit and a deletion, the deletion without the content', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'Helo');
      await asUser(tx, customer, (q) => q`select public.edit_message(${message.id.toString()}::bigint, 'Hello')`);
      await asUser(tx, customer, (q) => q`select public.delete_message(${message.id.toString()}::bigint)`);
      const events = (await threadBroadcasts(tx, thread.id)).filter((b) => b.event.startsWith('message_'));
      expect(events.map((e) => e.event).sort()).toEqual(['message_created', 'message_deleted', 'message_updated']);
      const updated = events.find((e) => e.event === 'message_updated')!;
      const deleted = events.find((e) => e.event === 'message_deleted')!;
      expect(updated.payload).toMatchObject({ message: { id: Number(message.id), body: 'Hello' } });
      expect(deleted.payload).toMatchObject({ message: { id: Number(message.id), body: null } });
      expect(deleted.payload.message).toHaveProperty('deleted_at');
    });
  });

  it('a client cannot fake a message broadcast on a thread it is not in', async () => {
    await rollback(async (tx) => {
      const { thread } = await conversation(tx);
      const mallory = await createUser(tx);
      await asUser(tx, mallory, (q) => q`select realtime.send('{"message": {"body": "fake"}}'::jsonb, 'message_created', ${`thread:${thread.id}`}, true)`);
      expect(await threadBroadcasts(tx, thread.id)).toEqual([]);
    });
  });
});

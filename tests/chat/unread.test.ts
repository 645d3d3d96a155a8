// Read receipts and unread counts: the per-thread counter on each participant row and
// the per-user badge must always equal what counting the messages gives, including
// while both sides send and read at once on real connections.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser, db, deleteUsers, rollback, type TestUser } from '../harness/db.ts';
import { createCustomer, createListing, createProvider, type Provider } from '../harness/services.ts';
import {
  badge,
  conversation,
  countedBadge,
  countedUnread,
  markRead,
  openInquiry,
  participant,
  send,
  type Thread,
} from '../harness/chat.ts';

describe('unread counts', () => {
  it("count the other side's messages since the last read, not one's own", async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'one');
      await send(tx, customer, thread.id, 'two');
      await send(tx, customer, thread.id, 'three');
      expect((await participant(tx, provider, thread.id)).unread_count).toBe(3);
      expect((await participant(tx, customer, thread.id)).unread_count).toBe(0);
      expect(await badge(tx, provider)).toEqual({ unread_messages: 3, unread_threads: 1 });
      expect(await countedUnread(tx, provider, thread.id)).toBe(3);
    });
  });

  it('marking read up to a message leaves the later ones unread; marking all read clears the thread', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const first = await send(tx, customer, thread.id, 'one');
      await send(tx, customer, thread.id, 'two');
      const last = await send(tx, customer, thread.id, 'three');
      const partly = await markRead(tx, provider, thread.id, first.id);
      expect(partly).toMatchObject({ last_read_message_id: first.id, unread_count: 2 });
      expect(await badge(tx, provider)).toEqual({ unread_messages: 2, unread_threads: 1 });
      const all = await markRead(tx, provider, thread.id);
      expect(all).toMatchObject({ last_read_message_id: last.id, unread_count: 0 });
      expect(await badge(tx, provider)).toEqual({ unread_messages: 0, unread_threads: 0 });
    });
  });

  it('a read position never moves backwards', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const first = await send(tx, customer, thread.id, 'one');
      const last = await send(tx, customer, thread.id, 'two');
      await markRead(tx, provider, thread.id);
      const again = await markRead(tx, provider, thread.id, first.id);
      expect(again).toMatchObject({ last_read_message_id: last.id, unread_count: 0 });
    });
  });

  it('replying reads the thread', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'one');
      await send(tx, customer, thread.id, 'two');
      const reply = await send(tx, provider, thread.id, 'Yes');
      expect(await participant(tx, provider, thread.id)).toMatchObject({ unread_count: 0, last_read_message_id: reply.id });
      expect((await participant(tx, customer, thread.id)).unread_count).toBe(1);
    });
  });

  it('a deleted message stops counting for whoever had not read it', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const read = await send(tx, customer, thread.id, 'read one');
      await markRead(tx, provider, thread.id);
      const unread = await send(tx, customer, thread.id, 'unread one');
      await send(tx, customer, thread.id, 'another');
      await asUser(tx, customer, (q) => q`select public.delete_message(${read.id.toString()}::bigint)`);
      expect((await participant(tx, provider, thread.id)).unread_count).toBe(2);
      await asUser(tx, customer, (q) => q`select public.delete_message(${unread.id.toString()}::bigint)`);
      expect((await participant(tx, provider, thread.id)).unread_count).toBe(1);
      expect(await countedUnread(tx, provider, thread.id)).toBe(1);
      expect(await badge(tx, provider)).toEqual(await countedBadge(tx, provider));
    });
  });

  it('the badge sums every thread and follows a thread that disappears', async () => {
    await rollback(async (tx) => {
      const a = await conversation(tx);
      const kofi = await createCustomer(tx);
      const second = await openInquiry(tx, kofi, { listingId: a.listing.id });
      await send(tx, a.customer, a.thread.id, 'one');
      await send(tx, kofi, second.id, 'two');
      await send(tx, kofi, second.id, 'three');
      expect(await badge(tx, a.provider)).toEqual({ unread_messages: 3, unread_threads: 2 });
      await tx`delete from public.chat_threads where id = ${second.id}`;
      expect(await badge(tx, a.provider)).toEqual({ unread_messages: 1, unread_threads: 1 });
    });
  });

  it('a read receipt is broadcast on the thread, the new badge on the reader’s own topic', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'one');
      await markRead(tx, provider, thread.id);
      const [receipt] = await tx`select payload from realtime.messages where topic = ${`thread:${thread.id}`} and event = 'read'`;
      expect(receipt?.payload).toMatchObject({ thread_id: thread.id, user_id: provider.id, last_read_message_id: Number(message.id) });
      const [badgeMessage] = await tx`select payload from realtime.messages where topic = ${`user:${provider.id}`} and event = 'chat_unread'`;
      expect(badgeMessage?.payload).toMatchObject({ unread_messages: 0, unread_threads: 0 });
    });
  });

  it('participants see each other’s read position; the badge is only the caller’s', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const message = await send(tx, customer, thread.id, 'one');
      await markRead(tx, provider, thread.id);
      const rows = await asUser(tx, customer, (q) => q`
        select user_id, last_read_message_id from public.chat_participants where thread_id = ${thread.id} and user_id = ${provider.id}`);
      expect(rows).toEqual([{ user_id: provider.id, last_read_message_id: message.id }]);
      expect(await badge(tx, customer)).toEqual({ unread_messages: 0, unread_threads: 0 });
    });
  });
});

// Real concurrency: committed fixtures; every call its own transaction on a pooled connection.
describe('unread counts under concurrent load', () => {
  let provider: Provider;
  let customers: TestUser[];
  let threads: Thread[];

  beforeAll(async () => {
    provider = await createProvider(db());
    customers = await Promise.all([createCustomer(db()), createCustomer(db())]);
    const listing = await createListing(db(), provider);
    threads = await Promise.all(customers.map((c) => openInquiry(db(), c, { listingId: listing.id })));
  });

  afterAll(async () => {
    await deleteUsers(provider, ...customers);
  });

  async function expectExact(users: TestUser[], thread: Thread) {
    for (const user of users) {
      expect((await participant(db(), user, thread.id)).unread_count).toBe(await countedUnread(db(), user, thread.id));
      expect(await badge(db(), user)).toEqual(await countedBadge(db(), user));
    }
  }

  it('both sides sending at once: every message counts once for the other side', async () => {
    const [ama] = customers;
    const thread = threads[0]!;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => send(db(), i % 2 ? provider : ama!, thread.id, `message ${i}`)),
    );
    expect(new Set(results.map((m) => m.id)).size).toBe(24);
    await expectExact([ama!, provider], thread);
  });

  it.each([1, 2, 3])('sends, reads, resends and deletes racing in two threads, round %i: counters and badges stay exact', async () => {
    const [ama, kofi] = customers;
    const clientIds = Array.from({ length: 6 }, () => randomUUID());
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 36; i++) {
      // Blocks of six calls, alternating between the two threads.
      const t = threads[Math.floor(i / 6) % 2]!;
      const customer = Math.floor(i / 6) % 2 ? kofi! : ama!;
      switch (i % 6) {
        case 0:
        case 1:
          calls.push(send(db(), customer, t.id, `c${i}`));
          break;
        case 2:
          calls.push(send(db(), provider, t.id, `p${i}`));
          break;
        case 3:
          calls.push(markRead(db(), provider, t.id));
          break;
        case 4:
          // The same message resent three times at once.
          calls.push(...[0, 1, 2].map(() => send(db(), customer, t.id, 'resent', { clientId: clientIds[Math.floor(i / 6)]! })));
          break;
        default:
          calls.push(
            send(db(), customer, t.id, 'to delete').then((m) =>
              asUser(db(), customer, (q) => q`select public.delete_message(${m.id.toString()}::bigint)`)),
          );
          calls.push(markRead(db(), customer, t.id, null));
      }
    }
    await Promise.all(calls);
    const [resent] = await db()`
      select count(*)::integer as n from public.chat_messages where client_id = any(${clientIds}::uuid[])`;
    expect(resent?.n).toBe(clientIds.length);
    await expectExact([ama!, provider], threads[0]!);
    await expectExact([kofi!, provider], threads[1]!);
  });
});

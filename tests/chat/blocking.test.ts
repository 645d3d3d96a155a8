// Blocking is between two people, not one conversation: whoever blocks someone gets no
// message from them in any thread between the two (listing and general inquiries,
// booking threads, threads opened later), the blocked person opens no new inquiry to
// them, and unblocking restores all of it. History stays readable; admins keep their
// view of blocks and of reported messages.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asUser, createUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { createAdmin, createCustomer, createListing, requestBooking, soon } from '../harness/services.ts';
import {
  canSend,
  conversation,
  history,
  openInquiry,
  participant,
  send,
  threadBroadcasts,
  uploadAttachment,
  type Conversation,
  type Thread,
} from '../harness/chat.ts';

function blockThread(tx: Tx, user: TestUser, thread: Thread, blocked = true) {
  return asUser(tx, user, (q) => q`select * from public.set_thread_blocked(${thread.id}, ${blocked})`);
}

function blockUser(tx: Tx, user: TestUser, other: TestUser, blocked = true): Promise<boolean> {
  return asUser(tx, user, async (q) => (await q<{ blocked: boolean }[]>`select public.set_user_blocked(${other.id}, ${blocked}) as blocked`)[0]!.blocked);
}

/** A customer and a provider with three threads: about a listing, about the provider, about a booking. */
async function threeThreads(tx: Tx): Promise<Conversation & { general: Thread; booking: Thread }> {
  const base = await conversation(tx);
  const general = await openInquiry(tx, base.customer, { providerId: base.provider.id });
  const reserved = await requestBooking(tx, base.customer, base.listing, soon(24 * 60));
  const [booking] = await asUser(tx, base.customer, (q) => q`select * from public.open_booking_thread(${reserved.id})`);
  return { ...base, general, booking: booking as unknown as Thread };
}

describe('a provider who blocks a customer', () => {
  it('receives nothing from them in any thread between them: the listing inquiry, the general one, the booking', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread, general, booking } = await threeThreads(tx);
      await send(tx, customer, thread.id, 'Hello?');
      await blockThread(tx, provider, thread);
      for (const t of [thread, general, booking]) {
        await expect(send(tx, customer, t.id, 'Hello??')).rejects.toMatchObject({ code: 'PT403', hint: 'chat_thread_blocked' });
      }
      expect((await participant(tx, provider, thread.id)).unread_count).toBe(1);
      expect((await participant(tx, provider, general.id)).unread_count).toBe(0);
    });
  });

  it('cannot be reached through a new inquiry either: the customer gets chat_user_blocked', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const other = await createListing(tx, provider);
      await blockThread(tx, provider, thread);
      await expect(openInquiry(tx, customer, { listingId: other.id })).rejects.toMatchObject({ code: 'PT403', hint: 'chat_user_blocked' });
      await expect(openInquiry(tx, customer, { providerId: provider.id })).rejects.toMatchObject({ hint: 'chat_user_blocked' });
      const [threads] = await tx`select count(*)::integer as n from public.chat_threads where customer_id = ${customer.id}`;
      expect(threads?.n).toBe(1);
    });
  });

  it('leaves the customer their history: the existing thread still opens and reads', async () => {
    await rollback(async (tx) => {
      const { customer, provider, listing, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'Is Saturday possible?');
      await send(tx, provider, thread.id, 'No.');
      await blockThread(tx, provider, thread);
      expect((await openInquiry(tx, customer, { listingId: listing.id })).id).toBe(thread.id);
      expect((await history(tx, customer, thread.id)).map((m) => m.body)).toEqual(['No.', 'Is Saturday possible?']);
    });
  });

  it('does not write to them either until unblocking, and unblocking restores every thread and new inquiries', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread, general, booking } = await threeThreads(tx);
      await blockThread(tx, provider, general);
      await expect(send(tx, provider, booking.id, 'Last word')).rejects.toMatchObject({ hint: 'chat_thread_blocked' });
      // Unblocked from another thread between the same two: the block is the pair's.
      await blockThread(tx, provider, booking, false);
      for (const t of [thread, general, booking]) await send(tx, customer, t.id, `Thanks (${t.subject_type})`);
      await send(tx, provider, booking.id, 'See you Saturday');
      const other = await createListing(tx, provider);
      expect((await openInquiry(tx, customer, { listingId: other.id })).subject_type).toBe('listing');
    });
  });

  it('the blocked customer cannot lift it, whichever way they try', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await blockThread(tx, provider, thread);
      await blockThread(tx, customer, thread, false);
      expect(await blockUser(tx, customer, provider, false)).toBe(false);
      await expect(send(tx, customer, thread.id, 'Please?')).rejects.toMatchObject({ hint: 'chat_thread_blocked' });
    });
  });

  it('stops typing, presence and uploads in every thread between them; other customers are unaffected', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread, general } = await threeThreads(tx);
      const kofi = await createCustomer(tx);
      const theirs = await openInquiry(tx, kofi, { providerId: provider.id });
      await blockThread(tx, provider, thread);
      expect(await canSend(tx, customer, `thread:${general.id}`, 'broadcast')).toBe(false);
      expect(await canSend(tx, provider, `thread:${general.id}`, 'presence')).toBe(false);
      await expect(uploadAttachment(tx, customer, general.id)).rejects.toMatchObject({ code: '42501' });
      expect(await canSend(tx, kofi, `thread:${theirs.id}`, 'broadcast')).toBe(true);
      await send(tx, kofi, theirs.id, 'Hello from someone else');
    });
  });

  it('tells both sides on every thread between them, and the inbox shows each as blocked', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread, general } = await threeThreads(tx);
      await blockThread(tx, provider, thread);
      for (const t of [thread, general]) {
        const updates = (await threadBroadcasts(tx, t.id)).filter((b) => b.event === 'thread_updated');
        expect(updates).toMatchObject([{ private: true, payload: { thread_id: t.id, blocked: true } }]);
      }
      for (const user of [customer, provider]) {
        const inbox = await asUser(tx, user, (q) => q<{ thread_id: string; blocked: boolean }[]>`select thread_id, blocked from public.list_threads()`);
        expect(inbox.every((row) => row.blocked)).toBe(true);
        expect(inbox).toHaveLength(3);
      }
      await blockThread(tx, provider, thread, false);
      // Both broadcasts share one transaction's inserted_at, so compare them as a set.
      const both = (await threadBroadcasts(tx, general.id)).filter((b) => b.event === 'thread_updated');
      expect(both.map((b) => b.payload.blocked).sort()).toEqual([false, true]);
    });
  });
});

describe('a customer who blocks a provider by id', () => {
  it('before they ever talk: neither side opens an inquiry, nor writes in the booking thread', async () => {
    await rollback(async (tx) => {
      const { customer, provider, listing, booking } = await threeThreads(tx);
      const fresh = await createCustomer(tx);
      expect(await blockUser(tx, fresh, provider)).toBe(true);
      await expect(openInquiry(tx, fresh, { listingId: listing.id })).rejects.toMatchObject({ hint: 'chat_user_blocked' });
      // The earlier customer's threads with the same provider are not theirs to block.
      await send(tx, customer, booking.id, 'Still on for Saturday?');
      expect(await blockUser(tx, customer, provider)).toBe(true);
      await expect(send(tx, provider, booking.id, 'Yes!')).rejects.toMatchObject({ hint: 'chat_thread_blocked' });
      expect(await blockUser(tx, customer, provider, false)).toBe(false);
      await send(tx, provider, booking.id, 'Yes!');
    });
  });

  it('sees whom they block, while the blocked provider sees nothing of it, not even on their participant row', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      await blockUser(tx, customer, provider);
      const mine = await asUser(tx, customer, (q) => q`select blocker_id, blocked_id from public.chat_blocks`);
      expect(mine).toEqual([{ blocker_id: customer.id, blocked_id: provider.id }]);
      expect(await asUser(tx, provider, (q) => q`select * from public.chat_blocks`)).toEqual([]);
      const rows = await asUser(tx, provider, (q) => q<{ user_id: string; blocked_at: Date | null }[]>`
        select user_id, blocked_at from public.chat_participants where thread_id = ${thread.id} order by role`);
      expect(rows.map((r) => r.blocked_at)).toEqual([null, null]);
      const own = await asUser(tx, customer, (q) => q<{ blocked_at: Date | null }[]>`
        select blocked_at from public.chat_participants where thread_id = ${thread.id} and user_id = ${customer.id}`);
      expect(own[0]?.blocked_at).toBeInstanceOf(Date);
    });
  });

  it.each([
    ['themselves', 'self', 'chat_block_invalid', '22023'],
    ['a user who does not exist', 'nobody', 'not_found', 'PT404'],
  ])('cannot block %s', async (_, target, hint, code) => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const id = target === 'self' ? ama.id : randomUUID();
      await expect(asUser(tx, ama, (q) => q`select public.set_user_blocked(${id}, true)`)).rejects.toMatchObject({ code, hint });
    });
  });

  it('cannot block while suspended', async () => {
    await rollback(async (tx) => {
      const { customer, provider } = await conversation(tx);
      await tx`update public.accounts set status = 'suspended', status_reason = 'test' where id = ${customer.id}`;
      await expect(blockUser(tx, customer, provider)).rejects.toMatchObject({ code: 'PT403', hint: 'account_suspended' });
    });
  });
});

describe('admins', () => {
  it('see every block, and still act on reported messages in a blocked thread', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const admin = await createAdmin(tx);
      const message = await send(tx, customer, thread.id, 'Pay me outside the app');
      await blockThread(tx, provider, thread);
      const blocks = await asUser(tx, admin, (q) => q`
        select blocker_id, blocked_id from public.chat_blocks where blocker_id = ${provider.id}`);
      expect(blocks).toEqual([{ blocker_id: provider.id, blocked_id: customer.id }]);
      const [report] = await asUser(tx, provider, (q) => q`select * from public.report_message(${message.id.toString()}::bigint, 'fraud')`);
      const queue = await asUser(tx, admin, (q) => q`select id from public.list_chat_reports()`);
      expect(queue.map((r) => r.id)).toContain(report!.id);
      await asUser(tx, admin, (q) => q`select * from public.resolve_chat_report(${report!.id}, 'actioned', 'Off-platform payment', delete_message => true)`);
      const [row] = await tx`select body, deleted_by from public.chat_messages where id = ${message.id.toString()}`;
      expect(row).toEqual({ body: null, deleted_by: admin.id });
    });
  });
});

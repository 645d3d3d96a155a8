// Opening conversations: one thread per customer, provider and subject, whoever asks
// and however often; and who may see a thread at all.
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, db, deleteUsers, rollback } from '../harness/db.ts';
import { createCustomer, createListing, createProvider, requestBooking, soon } from '../harness/services.ts';
import { conversation, history, openInquiry, send, type Thread } from '../harness/chat.ts';

describe('a customer opening an inquiry', () => {
  it('about a listing gets a thread with the customer and the provider as participants', async () => {
    await rollback(async (tx) => {
      const { customer, provider, listing, thread } = await conversation(tx);
      expect(thread).toMatchObject({ subject_type: 'listing', listing_id: listing.id, booking_id: null, customer_id: customer.id, provider_id: provider.id });
      const members = await tx`select user_id, role, unread_count from public.chat_participants where thread_id = ${thread.id} order by role`;
      expect(members).toEqual([
        { user_id: customer.id, role: 'customer', unread_count: 0 },
        { user_id: provider.id, role: 'provider', unread_count: 0 },
      ]);
    });
  });

  it('about the same listing again gets the same thread', async () => {
    await rollback(async (tx) => {
      const { customer, listing, thread } = await conversation(tx);
      const again = await openInquiry(tx, customer, { listingId: listing.id });
      expect(again.id).toBe(thread.id);
      const [row] = await tx`select count(*)::integer as n from public.chat_threads where listing_id = ${listing.id}`;
      expect(row?.n).toBe(1);
    });
  });

  it('about the provider in general, about another listing, or about a booking: one thread each', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const other = await createListing(tx, provider);
      const general = await openInquiry(tx, customer, { providerId: provider.id });
      const generalAgain = await openInquiry(tx, customer, { providerId: provider.id });
      const second = await openInquiry(tx, customer, { listingId: other.id });
      expect(general.subject_type).toBe('provider');
      expect(generalAgain.id).toBe(general.id);
      expect(new Set([thread.id, general.id, second.id]).size).toBe(3);
    });
  });

  it('gets its own thread: another customer asking about the same listing gets another', async () => {
    await rollback(async (tx) => {
      const { listing, thread } = await conversation(tx);
      const kofi = await createCustomer(tx);
      const theirs = await openInquiry(tx, kofi, { listingId: listing.id });
      expect(theirs.id).not.toBe(thread.id);
    });
  });

  it('has exactly the reference its subject names: the table refuses any other row, even from the service role', async () => {
    await rollback(async (tx) => {
      const { customer, provider, listing } = await conversation(tx);
      const booking = await requestBooking(tx, customer, listing, soon(24 * 60));
      const attempt = (subject: string, bookingId: string | null, listingId: string | null) =>
        tx.savepoint((sp) => sp`
          insert into public.chat_threads (subject_type, customer_id, provider_id, booking_id, listing_id)
          values (${subject}::public.chat_subject_type, ${customer.id}, ${provider.id}, ${bookingId}, ${listingId})`);
      const refused = { code: '23514', constraint_name: 'chat_thread_subject_matches' };
      await expect(attempt('booking', null, null)).rejects.toMatchObject(refused);
      await expect(attempt('booking', booking.id, listing.id)).rejects.toMatchObject(refused);
      await expect(attempt('listing', null, null)).rejects.toMatchObject(refused);
      await expect(attempt('listing', booking.id, null)).rejects.toMatchObject(refused);
      await expect(attempt('provider', null, listing.id)).rejects.toMatchObject(refused);
      await expect(attempt('provider', booking.id, null)).rejects.toMatchObject(refused);
      // And an update that breaks it is refused as well.
      const general = await openInquiry(tx, customer, { providerId: provider.id });
      await expect(tx.savepoint((sp) => sp`update public.chat_threads set listing_id = ${listing.id} where id = ${general.id}`))
        .rejects.toMatchObject(refused);
      // Each subject with its own reference is accepted (the listing thread exists already).
      await attempt('booking', booking.id, null);
    });
  });

  it('cannot open one with themselves', async () => {
    await rollback(async (tx) => {
      const provider = await createProvider(tx);
      const listing = await createListing(tx, provider);
      await expect(openInquiry(tx, provider, { listingId: listing.id })).rejects.toMatchObject({ code: 'PT409', hint: 'chat_cannot_message_self' });
    });
  });

  it.each([
    ['an inactive listing', 'listing'],
    ['a listing of another provider than named', 'mismatch'],
  ])('cannot open one about %s', async (_, kind) => {
    await rollback(async (tx) => {
      const provider = await createProvider(tx);
      const other = await createProvider(tx);
      const customer = await createCustomer(tx);
      const listing = await createListing(tx, provider, { active: kind !== 'listing' });
      const target = kind === 'mismatch' ? { listingId: listing.id, providerId: other.id } : { listingId: listing.id };
      await expect(openInquiry(tx, customer, target)).rejects.toMatchObject({ code: 'PT404', hint: 'listing_not_found' });
    });
  });

  it('keeps an existing conversation open after the listing is deactivated', async () => {
    await rollback(async (tx) => {
      const { customer, provider, listing, thread } = await conversation(tx);
      await asUser(tx, provider, (q) => q`update public.service_listings set active = false where id = ${listing.id}`);
      expect((await openInquiry(tx, customer, { listingId: listing.id })).id).toBe(thread.id);
    });
  });

  it('a suspended customer cannot open one', async () => {
    await rollback(async (tx) => {
      const provider = await createProvider(tx);
      const customer = await createCustomer(tx);
      await tx`update public.accounts set status = 'suspended', status_reason = 'test' where id = ${customer.id}`;
      await expect(openInquiry(tx, customer, { providerId: provider.id })).rejects.toMatchObject({ code: 'PT403', hint: 'account_suspended' });
    });
  });
});

describe('the inbox', () => {
  it('lists the caller’s threads, most recent activity first, with unread counts and the newest message', async () => {
    await rollback(async (tx) => {
      const a = await conversation(tx);
      const kofi = await createCustomer(tx);
      const b = await openInquiry(tx, kofi, { listingId: a.listing.id });
      await send(tx, a.customer, a.thread.id, 'first');
      await tx`update public.chat_threads set activity_at = activity_at - interval '1 minute' where id = ${a.thread.id}`;
      await send(tx, kofi, b.id, 'second');
      await send(tx, kofi, b.id, 'third');
      const inbox = await asUser(tx, a.provider, (q) => q`select * from public.list_threads()`);
      expect(inbox.map((r) => [r.thread_id, r.unread_count, r.last_message.body])).toEqual([
        [b.id, 2, 'third'],
        [a.thread.id, 1, 'first'],
      ]);
      const page = await asUser(tx, a.provider, (q) => q`
        select * from public.list_threads(1, ${inbox[0]!.activity_at}, ${inbox[0]!.thread_id})`);
      expect(page.map((r) => r.thread_id)).toEqual([a.thread.id]);
      const customerInbox = await asUser(tx, kofi, (q) => q`select thread_id from public.list_threads()`);
      expect(customerInbox).toEqual([{ thread_id: b.id }]);
    });
  });
});

describe('booking conversations', () => {
  it("the booking's customer and provider open the same thread; a stranger cannot", async () => {
    await rollback(async (tx) => {
      const provider = await createProvider(tx);
      const customer = await createCustomer(tx);
      const stranger = await createCustomer(tx);
      const listing = await createListing(tx, provider);
      const booking = await requestBooking(tx, customer, listing, soon(24 * 60));
      const open = (user: typeof customer) =>
        asUser(tx, user, async (q) => (await q`select * from public.open_booking_thread(${booking.id})`)[0] as unknown as Thread);
      const byCustomer = await open(customer);
      const byProvider = await open(provider);
      expect(byProvider.id).toBe(byCustomer.id);
      expect(byCustomer).toMatchObject({ subject_type: 'booking', booking_id: booking.id, customer_id: customer.id, provider_id: provider.id });
      await expect(open(stranger)).rejects.toMatchObject({ code: 'PT404', hint: 'booking_not_found' });
    });
  });
});

describe('a stranger (not a participant)', () => {
  it("cannot see the thread, its participants or its messages", async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'Is Saturday morning possible?');
      const mallory = await createUser(tx);
      const seen = await asUser(tx, mallory, async (q) => ({
        threads: await q`select id from public.chat_threads where id = ${thread.id}`,
        participants: await q`select user_id from public.chat_participants where thread_id = ${thread.id}`,
        messages: await q`select id from public.chat_messages where thread_id = ${thread.id}`,
      }));
      expect(seen).toEqual({ threads: [], participants: [], messages: [] });
    });
  });

  it('cannot page through its history: chat_thread_not_found, as for a thread that does not exist', async () => {
    await rollback(async (tx) => {
      const { customer, thread } = await conversation(tx);
      await send(tx, customer, thread.id, 'Hello');
      const mallory = await createUser(tx);
      await expect(history(tx, mallory, thread.id)).rejects.toMatchObject({ code: 'PT404', hint: 'chat_thread_not_found' });
    });
  });

  it('cannot send into it, mark it read, mute or block it', async () => {
    await rollback(async (tx) => {
      const { thread } = await conversation(tx);
      const mallory = await createUser(tx);
      for (const call of [
        () => send(tx, mallory, thread.id, 'spam'),
        () => asUser(tx, mallory, (q) => q`select public.mark_thread_read(${thread.id})`),
        () => asUser(tx, mallory, (q) => q`select public.set_thread_muted(${thread.id}, true)`),
        () => asUser(tx, mallory, (q) => q`select public.set_thread_blocked(${thread.id}, true)`),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: 'PT404', hint: 'chat_thread_not_found' });
      }
    });
  });

  it('cannot write the chat tables directly, nor join a thread through chat_participants', async () => {
    await rollback(async (tx) => {
      const { customer, provider, thread } = await conversation(tx);
      const mallory = await createUser(tx);
      await expect(
        asUser(tx, mallory, (q) => q`
          insert into public.chat_threads (subject_type, customer_id, provider_id) values ('provider', ${mallory.id}, ${provider.id})`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        asUser(tx, mallory, (q) => q`update public.chat_threads set customer_id = ${mallory.id} where id = ${thread.id}`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        asUser(tx, mallory, (q) => q`update public.chat_messages set body = 'x' where thread_id = ${thread.id}`),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        asUser(tx, mallory, (q) => q`insert into public.chat_blocks (blocker_id, blocked_id) values (${customer.id}, ${provider.id})`),
      ).rejects.toMatchObject({ code: '42501' });
      // A read-only view of the threads' two sides: nothing to insert into.
      await expect(
        asUser(tx, mallory, (q) => q`insert into public.chat_participants (thread_id, user_id, role) values (${thread.id}, ${mallory.id}, 'customer')`),
      ).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|55000)$/) });
      const [members] = await tx`select count(*)::integer as n from public.chat_participants where thread_id = ${thread.id}`;
      expect(members?.n).toBe(2);
    });
  });
});

describe('anon', () => {
  it.each(['chat_threads', 'chat_participants', 'chat_messages', 'chat_reports'])('cannot read %s', async (table) => {
    await rollback(async (tx) => {
      await conversation(tx);
      await expect(asAnon(tx, (q) => q`select * from ${q('public.' + table)} limit 1`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('cannot call the chat API', async () => {
    await rollback(async (tx) => {
      const { thread } = await conversation(tx);
      await expect(asAnon(tx, (q) => q`select * from public.list_messages(${thread.id})`)).rejects.toMatchObject({ code: '42501' });
      await expect(asAnon(tx, (q) => q`select * from public.chat_unread_count()`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

// Real concurrency: committed fixtures, each call its own transaction on its own connection.
describe('under concurrent load', () => {
  it('the same inquiry opened eight times at once makes one thread', async () => {
    const provider = await createProvider(db());
    const customer = await createCustomer(db());
    try {
      const listing = await createListing(db(), provider);
      const threads = await Promise.all(Array.from({ length: 8 }, () => openInquiry(db(), customer, { listingId: listing.id })));
      expect(new Set(threads.map((t) => t.id)).size).toBe(1);
      const [row] = await db()`
        select count(*)::integer as threads,
               (select count(*)::integer from public.chat_participants p where p.thread_id = ${threads[0]!.id}) as participants
        from public.chat_threads where listing_id = ${listing.id}`;
      expect(row).toEqual({ threads: 1, participants: 2 });
    } finally {
      await deleteUsers(provider, customer);
    }
  });
});

// Fixtures for chat tests: threads opened and messages sent through the API as the
// user, attachments uploaded the way the Storage API uploads them (as the user, so the
// storage.objects policies decide), and Realtime channel authorization checked the way
// Realtime checks it (probe rows in realtime.messages, read back as the subscriber).
import { randomUUID } from 'node:crypto';
import { asAnon, asUser, type Queryable, type TestUser, type Tx } from './db.ts';
import { createCustomer, createListing, createProvider, type Listing, type Provider } from './services.ts';

export interface Thread {
  id: string;
  subject_type: 'booking' | 'listing' | 'provider';
  booking_id: string | null;
  listing_id: string | null;
  customer_id: string;
  provider_id: string;
  last_message_id: bigint | null;
  [column: string]: unknown;
}

export interface Message {
  id: bigint;
  thread_id: string;
  sender_id: string | null;
  client_id: string;
  kind: 'text' | 'image' | 'file';
  body: string | null;
  attachment_path: string | null;
  attachment_name: string | null;
  attachment_mime: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  [column: string]: unknown;
}

export interface Participant {
  thread_id: string;
  user_id: string;
  last_read_message_id: bigint | null;
  unread_count: number;
  muted: boolean;
  blocked_at: Date | null;
  [column: string]: unknown;
}

export interface Conversation {
  customer: TestUser;
  provider: Provider;
  listing: Listing;
  thread: Thread;
}

/** open_inquiry as the customer: about a listing, or about the provider when listing is null. */
export async function openInquiry(q: Queryable, customer: TestUser, target: { providerId?: string; listingId?: string }): Promise<Thread> {
  const [row] = await asUser(q, customer, (tx) => tx`
    select * from public.open_inquiry(provider_id => ${target.providerId ?? null}::uuid, listing_id => ${target.listingId ?? null}::uuid)`);
  return row as unknown as Thread;
}

/** A customer, a provider with a listing, and the customer's inquiry about the listing. */
export async function conversation(q: Queryable): Promise<Conversation> {
  const provider = await createProvider(q);
  const customer = await createCustomer(q);
  const listing = await createListing(q, provider);
  const thread = await openInquiry(q, customer, { listingId: listing.id });
  return { customer, provider, listing, thread };
}

export interface Send {
  clientId?: string;
  attachmentPath?: string | null;
  attachmentName?: string | null;
}

/** send_message as `user`. */
export async function send(q: Queryable, user: TestUser, threadId: string, body: string | null, options: Send = {}): Promise<Message> {
  const [row] = await asUser(q, user, (tx) => tx`
    select * from public.send_message(
      thread_id => ${threadId}, client_id => ${options.clientId ?? randomUUID()}, body => ${body},
      attachment_path => ${options.attachmentPath ?? null}, attachment_name => ${options.attachmentName ?? null})`);
  return row as unknown as Message;
}

/** list_messages as `user`. */
export async function history(q: Queryable, user: TestUser, threadId: string, beforeId: bigint | null = null, pageSize = 50): Promise<Message[]> {
  return asUser(q, user, (tx) => tx<Message[]>`
    select * from public.list_messages(${threadId}, ${beforeId === null ? null : beforeId.toString()}::bigint, ${pageSize})`);
}

/** mark_thread_read as `user`. */
export async function markRead(q: Queryable, user: TestUser, threadId: string, upTo: bigint | null = null): Promise<Participant> {
  const [row] = await asUser(q, user, (tx) => tx`
    select * from public.mark_thread_read(${threadId}, ${upTo === null ? null : upTo.toString()}::bigint)`);
  return row as unknown as Participant;
}

/** The user's participant row, as the superuser sees it. */
export async function participant(q: Queryable, user: TestUser, threadId: string): Promise<Participant> {
  const [row] = await q`select * from public.chat_participants where thread_id = ${threadId} and user_id = ${user.id}`;
  return row as unknown as Participant;
}

/** The truth a participant's unread_count must match. */
export async function countedUnread(q: Queryable, user: TestUser, threadId: string): Promise<number> {
  const [row] = await q<{ n: number }[]>`
    select count(*)::integer as n
    from public.chat_messages m
    join public.chat_participants p on p.thread_id = m.thread_id and p.user_id = ${user.id}
    where m.thread_id = ${threadId} and m.id > coalesce(p.last_read_message_id, 0)
      and m.sender_id is distinct from ${user.id} and m.deleted_at is null`;
  return row!.n;
}

export interface Badge {
  unread_messages: number;
  unread_threads: number;
}

/** The chat badge, asked the way the app asks. */
export async function badge(q: Queryable, user: TestUser): Promise<Badge> {
  const [row] = await asUser(q, user, (tx) => tx<Badge[]>`select * from public.chat_unread_count()`);
  return row!;
}

/** The truth the badge must match: sums over the user's threads. */
export async function countedBadge(q: Queryable, user: TestUser): Promise<Badge> {
  const [row] = await q<Badge[]>`
    with per_thread as (
      select p.thread_id,
             (select count(*) from public.chat_messages m
              where m.thread_id = p.thread_id and m.id > coalesce(p.last_read_message_id, 0)
                and m.sender_id is distinct from p.user_id and m.deleted_at is null)::integer as n
      from public.chat_participants p
      where p.user_id = ${user.id}
    )
    select coalesce(sum(n), 0)::integer as unread_messages, (count(*) filter (where n > 0))::integer as unread_threads
    from per_thread`;
  return row!;
}

// ---------------------------------------------------------------------------
// Storage, as the Storage API drives Postgres (see tests/platform/storage.test.ts)
// ---------------------------------------------------------------------------

const MIME: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf' };

/** Runs `fn` inside a Storage API request of `user` (or of the anon key when null). */
export function asStorage<T>(q: Queryable, user: TestUser | null, operation: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const run = async (tx: Tx) => {
    await tx`
      select set_config('request.jwt.claim.role', ${user ? 'authenticated' : 'anon'}, true),
             set_config('request.jwt.claim.sub', ${user?.id ?? ''}, true),
             set_config('request.headers', '{}', true),
             set_config('storage.operation', ${operation}, true),
             set_config('storage.allow_delete_query', 'true', true)`;
    try {
      return await fn(tx);
    } finally {
      await tx`
        select set_config('request.jwt.claim.role', '', true), set_config('request.jwt.claim.sub', '', true),
               set_config('storage.operation', '', true), set_config('storage.allow_delete_query', '', true)`.catch(() => undefined);
    }
  };
  return user ? asUser(q, user, run) : asAnon(q, run);
}

/** Uploads into chat-attachments as `user` (the INSERT the policies must allow); returns the object name. */
export async function uploadAttachment(q: Queryable, user: TestUser, threadId: string, extension = 'jpg', name?: string): Promise<string> {
  const objectName = name ?? `${threadId}/${randomUUID()}.${extension}`;
  const meta = JSON.stringify({ mimetype: MIME[extension] ?? 'application/octet-stream', size: 2048 });
  await asStorage(q, user, 'storage.object.upload', (tx) => tx`
    insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
    values ('chat-attachments', ${objectName}, ${user.id}, ${user.id}, ${meta}::text::jsonb, ${randomUUID()})`);
  return objectName;
}

/** What `user` sees of chat-attachments objects under a prefix (download and list both SELECT). */
export async function visibleAttachments(q: Queryable, user: TestUser | null, prefix: string): Promise<string[]> {
  return asStorage(q, user, 'storage.object.list', async (tx) => {
    const rows = await tx<{ name: string }[]>`
      select name from storage.objects where bucket_id = 'chat-attachments' and name like ${prefix + '%'} order by name`;
    return rows.map((r) => r.name);
  });
}

// ---------------------------------------------------------------------------
// Realtime channel authorization (supabase/realtime lib/realtime/tenants/authorization.ex)
// ---------------------------------------------------------------------------

export type Extension = 'broadcast' | 'presence';

/** Which extensions the subscriber may receive on the topic: probes inserted, then read back as them. */
export async function canReceive(tx: Tx, user: TestUser | null, topic: string): Promise<Record<Extension, boolean>> {
  const probes = await tx<{ id: string; extension: Extension }[]>`
    insert into realtime.messages (topic, extension) values (${topic}, 'broadcast'), (${topic}, 'presence')
    returning id, extension`;
  const read = async (q: Tx) => {
    await q`select set_config('realtime.topic', ${topic}, true)`;
    return q<{ id: string }[]>`
      select id from realtime.messages where topic = ${topic} and id = any(${probes.map((p) => p.id)}::uuid[])`;
  };
  const seen = new Set((user ? await asUser(tx, user, read) : await asAnon(tx, read)).map((r) => r.id));
  const idOf = (extension: Extension) => probes.find((p) => p.extension === extension)!.id;
  return { broadcast: seen.has(idOf('broadcast')), presence: seen.has(idOf('presence')) };
}

/** Whether the subscriber may send (broadcast, track presence) on the topic. */
export async function canSend(tx: Tx, user: TestUser | null, topic: string, extension: Extension): Promise<boolean> {
  const write = async (q: Tx) => {
    await q`select set_config('realtime.topic', ${topic}, true)`;
    await q`insert into realtime.messages (topic, extension) values (${topic}, ${extension})`;
  };
  try {
    await (user ? asUser(tx, user, write) : asAnon(tx, write));
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return false;
    throw error;
  }
}

/** Broadcasts the database sent on a thread's topic, oldest first. */
export async function threadBroadcasts(q: Queryable, threadId: string): Promise<{ event: string; payload: Record<string, unknown>; private: boolean }[]> {
  return q`
    select event, payload, private from realtime.messages
    where topic = ${`thread:${threadId}`} and extension = 'broadcast' and event is not null
    order by inserted_at, (payload -> 'message' ->> 'id')::bigint nulls last`;
}

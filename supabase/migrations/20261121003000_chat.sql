-- Chat: conversations between a customer and a provider about a booking, a listing or
-- the provider in general; messages with text, images and files; read receipts and
-- unread counts; blocking, muting and reports; live delivery over Realtime Broadcast.
--
-- - A thread has one subject: subject_type names it and exactly one reference column
--   holds it (booking_id, listing_id; none for 'provider'). There is one thread per
--   customer, provider and subject (chat_threads_one_per_subject): open_inquiry and
--   open_booking_thread return the existing one. Orders join later as subject 'order'
--   with an order_id column and a term in chat_thread_subject_matches.
-- - A thread has exactly two participants, its customer and its provider. Each side's
--   read position, unread count and mute live on the thread row (customer_*,
--   provider_*); public.chat_participants shows them as one row per participant.
-- - Every write goes through the API functions below (security definer in private,
--   invoker wrappers in public); API roles only read the tables, through RLS.
-- - send_message takes a client-generated id: a resend returns the stored message.
--   It locks the thread row and takes the message id under that lock, so a thread's
--   ids increase in commit order; read receipts (last_read_message_id) and the unread
--   counts rely on it.
-- - Unread: each side's unread count (messages from the other side after its read
--   position, deleted ones excluded) changes only under the thread row's lock, in the
--   functions below: a send is ONE update of the thread row (one more unread for the
--   recipient; the sender has read the thread, replying is reading), not one per
--   participant, and no per-user total is written: the badge (chat_unread_count) sums
--   the user's threads when it is read, one index scan per role (about a millisecond
--   for a provider with 2,000 threads). A per-user counter would be one more write per
--   message, and a hot row for a busy provider whose threads all feed it.
-- - Blocking is between two people, not one conversation (chat_blocks): while either
--   blocks the other, nobody sends, edits, uploads or types in any thread between them
--   (booking threads included), and no new inquiry is opened between them. Unblocking
--   restores everything; the history stays readable throughout. Admins see every block.
-- - Realtime: new messages are broadcast on the private topic thread:<id> by
--   send_message itself (realtime.send), edits and deletions by a trigger; participants
--   receive on it, and active participants of a thread whose pair is not blocked may
--   send on it (typing, presence). History lives here: Realtime keeps its rows 72 hours.
-- - A new message notifies the other participant (private.notify, collapsed per
--   thread with 'thread:<id>') unless they muted the thread. Reading the thread, or
--   replying in it, marks that notification read.
-- - Attachments live in the private bucket chat-attachments as '<thread id>/<uuid>.<ext>',
--   readable by the thread's participants only.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.chat_subject_type as enum ('booking', 'listing', 'provider');
create type public.chat_participant_role as enum ('customer', 'provider');
create type public.chat_message_kind as enum ('text', 'image', 'file');
create type public.chat_report_reason as enum ('spam', 'harassment', 'fraud', 'inappropriate', 'other');
create type public.chat_report_status as enum ('open', 'dismissed', 'actioned');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- A conversation. customer_id asked, provider_id answers; both are participants, and
-- each side's read state is kept here (see the header).
create table public.chat_threads (
  id uuid primary key default gen_random_uuid(),
  subject_type public.chat_subject_type not null,
  booking_id uuid references public.bookings (id) on delete cascade,
  listing_id uuid references public.service_listings (id) on delete cascade,
  customer_id uuid not null references public.profiles (id) on delete cascade,
  provider_id uuid not null references public.providers (id) on delete cascade,
  -- The newest message (no foreign key: messages reference threads, and a message is
  -- only ever soft-deleted while its thread lives).
  last_message_id bigint,
  -- When the thread last changed (created, or its newest message): the inbox order.
  activity_at timestamptz not null default now(),
  -- Each side's read receipt (every message up to this id has been seen), unread count
  -- (messages from the other side after it, deleted ones excluded) and mute (no
  -- notifications). None of these is indexed: every message changes them, and the
  -- update stays HOT (fillfactor below leaves each page room for it).
  customer_last_read_message_id bigint,
  customer_last_read_at timestamptz,
  customer_unread integer not null default 0,
  customer_muted boolean not null default false,
  provider_last_read_message_id bigint,
  provider_last_read_at timestamptz,
  provider_unread integer not null default 0,
  provider_muted boolean not null default false,
  created_at timestamptz not null default now(),
  -- A booking thread has its booking and no listing, a listing thread the reverse, a
  -- provider thread neither. (Written without CASE: every update of the thread row
  -- rebuilds its checks from their stored form, and a send updates it.)
  constraint chat_thread_subject_matches check (
    (booking_id is not null) = (subject_type = 'booking')
    and (listing_id is not null) = (subject_type = 'listing')),
  constraint chat_thread_parties_differ check (customer_id <> provider_id),
  constraint chat_thread_unread_not_negative check (customer_unread >= 0 and provider_unread >= 0),
  -- One thread per pair and subject; unused reference columns are null and compare equal.
  -- Its leading column also serves the customer's inbox and the pair's threads.
  constraint chat_threads_one_per_subject unique nulls not distinct (customer_id, provider_id, subject_type, booking_id, listing_id)
) with (fillfactor = 80);
create index chat_threads_provider_id on public.chat_threads (provider_id);
create index chat_threads_booking_id on public.chat_threads (booking_id);
create index chat_threads_listing_id on public.chat_threads (listing_id);

alter table public.chat_threads enable row level security;
revoke all on table public.chat_threads from anon, authenticated;
grant select on table public.chat_threads to authenticated;
grant all on table public.chat_threads to service_role;

-- Messages. Ids come from one sequence and increase within a thread in commit order
-- (see send_message): history pages and read receipts are keyed on them.
create table public.chat_messages (
  id bigint generated always as identity primary key,
  thread_id uuid not null references public.chat_threads (id) on delete cascade,
  -- Null once the sender's account is gone; the history stays with the other side.
  sender_id uuid references public.profiles (id) on delete set null,
  -- Chosen by the app per message: a resend with the same id returns this message.
  client_id uuid not null,
  kind public.chat_message_kind not null default 'text',
  body text,
  -- An object of the chat-attachments bucket in the thread's folder, and what Storage
  -- recorded about it when the message was sent.
  attachment_path text,
  attachment_name text,
  attachment_mime text,
  attachment_size bigint,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  -- Soft delete: the content is wiped, the row stays as "message deleted".
  deleted_at timestamptz,
  -- The author or an admin; no foreign key, so the record outlives their account and
  -- the hot insert path maintains no index for it.
  deleted_by uuid,
  constraint chat_messages_client_id_per_sender unique (sender_id, client_id),
  constraint chat_message_body_length check (body is null or length(body) between 1 and 4000),
  constraint chat_message_has_content check (deleted_at is not null or body is not null or attachment_path is not null),
  constraint chat_message_kind_matches_attachment check (
    deleted_at is not null or (kind = 'text') = (attachment_path is null)),
  constraint chat_message_attachment_in_thread_folder check (
    attachment_path is null or attachment_path like thread_id::text || '/_%'),
  constraint chat_message_attachment_name_length check (attachment_name is null or length(attachment_name) between 1 and 200),
  constraint chat_message_deleted_is_empty check (
    deleted_at is null or (body is null and attachment_path is null and attachment_name is null))
);
-- History, newest first, keyset on id: a page is one backward range scan.
create index chat_messages_thread_id on public.chat_messages (thread_id, id);
-- Storage asks which message an attachment belongs to (text messages have no entry).
create index chat_messages_attachment_path on public.chat_messages (attachment_path) where attachment_path is not null;

alter table public.chat_messages enable row level security;
revoke all on table public.chat_messages from anon, authenticated;
grant select on table public.chat_messages to authenticated;
grant all on table public.chat_messages to service_role;

-- A participant's report of a message, for the admins' queue. What the message said
-- is copied in: its author may edit or delete it afterwards.
create table public.chat_reports (
  id uuid primary key default gen_random_uuid(),
  message_id bigint not null references public.chat_messages (id) on delete cascade,
  thread_id uuid not null references public.chat_threads (id) on delete cascade,
  reporter_id uuid not null references public.profiles (id) on delete cascade,
  reported_user_id uuid references public.profiles (id) on delete set null,
  reason public.chat_report_reason not null,
  note text,
  message_kind public.chat_message_kind not null,
  message_body text,
  message_attachment_path text,
  message_sent_at timestamptz not null,
  status public.chat_report_status not null default 'open',
  resolved_by uuid references auth.users (id) on delete set null,
  resolved_at timestamptz,
  resolution_note text,
  created_at timestamptz not null default now(),
  constraint chat_reports_one_per_reporter unique (message_id, reporter_id),
  constraint chat_report_note_length check (note is null or length(note) between 1 and 1000),
  constraint chat_report_resolution_is_recorded check ((status = 'open') = (resolved_at is null)),
  constraint chat_report_resolution_note_length check (resolution_note is null or length(resolution_note) between 1 and 1000)
);
create index chat_reports_thread_id on public.chat_reports (thread_id);
create index chat_reports_reporter_id on public.chat_reports (reporter_id, created_at desc);
create index chat_reports_reported_user_id on public.chat_reports (reported_user_id);
create index chat_reports_resolved_by on public.chat_reports (resolved_by);
-- The admins' queue, oldest first.
create index chat_reports_queue on public.chat_reports (created_at, id) where status = 'open';

alter table public.chat_reports enable row level security;
revoke all on table public.chat_reports from anon, authenticated;
grant select on table public.chat_reports to authenticated;
grant all on table public.chat_reports to service_role;

-- Who blocks whom. A block is between two people: while either blocks the other,
-- nobody sends in any thread between them and no new inquiry opens between them.
-- Written through set_thread_blocked and set_user_blocked.
create table public.chat_blocks (
  blocker_id uuid not null references public.profiles (id) on delete cascade,
  blocked_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint chat_blocks_pkey primary key (blocker_id, blocked_id),
  constraint chat_block_not_self check (blocker_id <> blocked_id)
);
create index chat_blocks_blocked_id on public.chat_blocks (blocked_id);

alter table public.chat_blocks enable row level security;
revoke all on table public.chat_blocks from anon, authenticated;
grant select on table public.chat_blocks to authenticated;
grant all on table public.chat_blocks to service_role;

-- Who is in a thread, and each one's read position, unread count and settings: one row
-- per side of chat_threads. Security invoker, so the tables' policies decide: a
-- participant sees both rows of their threads, and blocked_at only on their own row
-- (chat_blocks shows nobody who blocks them).
create view public.chat_participants
with (security_invoker = true)
as
select t.id as thread_id,
       t.customer_id as user_id,
       'customer'::public.chat_participant_role as role,
       t.customer_last_read_message_id as last_read_message_id,
       t.customer_last_read_at as last_read_at,
       t.customer_unread as unread_count,
       t.customer_muted as muted,
       b.created_at as blocked_at,
       t.created_at as joined_at
from public.chat_threads as t
left join public.chat_blocks as b on b.blocker_id = t.customer_id and b.blocked_id = t.provider_id
union all
select t.id,
       t.provider_id,
       'provider'::public.chat_participant_role,
       t.provider_last_read_message_id,
       t.provider_last_read_at,
       t.provider_unread,
       t.provider_muted,
       b.created_at,
       t.created_at
from public.chat_threads as t
left join public.chat_blocks as b on b.blocker_id = t.provider_id and b.blocked_id = t.customer_id;

revoke all on table public.chat_participants from anon, authenticated;
grant select on table public.chat_participants to authenticated, service_role;

insert into private.error_catalogue (code, sqlstate, message) values
  ('chat_thread_not_found', 'PT404', 'No such conversation.'),
  ('chat_message_not_found', 'PT404', 'No such message.'),
  ('chat_message_invalid', '22023', 'A message has a client id and text of 1 to 4000 characters, an attachment, or both.'),
  ('chat_attachment_invalid', '22023', 'Attach a file you uploaded to this conversation''s folder of chat-attachments.'),
  ('chat_client_id_reused', 'PT409', 'This client id already belongs to a message in another conversation.'),
  ('chat_thread_blocked', 'PT403', 'This conversation is blocked: no one can send messages in it.'),
  ('chat_user_blocked', 'PT403', 'You cannot start a conversation with this person.'),
  ('chat_block_invalid', '22023', 'Block or unblock another user of the app.'),
  ('chat_not_author', '42501', 'Only the author can change this message.'),
  ('chat_edit_window_closed', 'PT409', 'A message can be edited for 15 minutes after it was sent.'),
  ('chat_message_deleted', 'PT409', 'This message was deleted.'),
  ('chat_cannot_message_self', 'PT409', 'You cannot start a conversation with yourself.'),
  ('chat_report_invalid', '22023', 'Report a message from someone else, with a reason and a note of at most 1000 characters.'),
  ('chat_report_not_found', 'PT404', 'No such report.'),
  ('chat_report_closed', 'PT409', 'This report has already been resolved.'),
  ('chat_page_invalid', '22023', 'A page has 1 to 100 items and a cursor from the previous page.');

-- Push texts for a new message (English; markets add their locales).
insert into private.notification_templates (template_key, locale, title, body) values
  ('chat.message', 'en', 'New message', '{sender_name}: {preview}')
on conflict on constraint notification_templates_pkey do nothing;

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- Whether the caller takes part in the thread: one primary-key probe. Security definer
-- so policies can use it whatever the caller may read. The helpers here are PL/pgSQL,
-- not SQL: a SQL function that cannot be inlined (security definer, SET search_path)
-- is planned again on every call, a PL/pgSQL one keeps its plan.
--
-- Policies check membership per row with this probe rather than with
-- `thread_id in (select <all my threads>)` or an EXISTS the planner may turn into the
-- same set: that costs O(threads) on every statement, and a busy provider collects
-- thousands of threads, while a page is 50 rows. (list_messages, the hot read, checks
-- once and reads without RLS.)
create function private.is_chat_participant(thread uuid)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := auth.uid();
begin
  return exists (select from public.chat_threads as t where t.id = thread and caller in (t.customer_id, t.provider_id));
end;
$$;
revoke execute on function private.is_chat_participant(uuid) from public;
grant execute on function private.is_chat_participant(uuid) to authenticated, service_role;

-- The thread a 'thread:<uuid>' Realtime topic names, or null.
create function private.chat_topic_thread(topic text)
returns uuid
immutable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  if topic ~ '^thread:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return substr(topic, 8)::uuid;
  end if;
  return null;
end;
$$;
revoke execute on function private.chat_topic_thread(text) from public;
grant execute on function private.chat_topic_thread(text) to authenticated, service_role;

-- Whether either of two users blocks the other: two primary-key probes.
create function private.chat_pair_blocked(one uuid, other uuid)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
begin
  return exists (select from public.chat_blocks as b where b.blocker_id = one and b.blocked_id = other)
      or exists (select from public.chat_blocks as b where b.blocker_id = other and b.blocked_id = one);
end;
$$;
revoke execute on function private.chat_pair_blocked(uuid, uuid) from public;

-- Whether the thread is blocked: one of its two participants blocks the other.
create function private.chat_thread_is_blocked(thread uuid)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  customer uuid;
  provider uuid;
begin
  select t.customer_id, t.provider_id into customer, provider from public.chat_threads as t where t.id = thread;
  return found and private.chat_pair_blocked(customer, provider);
end;
$$;
revoke execute on function private.chat_thread_is_blocked(uuid) from public;
grant execute on function private.chat_thread_is_blocked(uuid) to authenticated, service_role;

-- Realtime (registered below): participants receive broadcasts and presence on thread:<id>.
create function private.can_receive_thread_topic(topic text)
returns boolean
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  thread uuid := private.chat_topic_thread(topic);
begin
  return thread is not null and private.is_chat_participant(thread);
end;
$$;
revoke execute on function private.can_receive_thread_topic(text) from public;
grant execute on function private.can_receive_thread_topic(text) to authenticated, service_role;

-- Realtime: active participants send typing and presence on thread:<id>, unless the
-- thread is blocked (then the blocked side cannot even show that it is typing).
create function private.can_send_thread_topic(topic text)
returns boolean
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  thread uuid := private.chat_topic_thread(topic);
begin
  return thread is not null
     and private.is_chat_participant(thread)
     and private.is_active_user()
     and not private.chat_thread_is_blocked(thread);
end;
$$;
revoke execute on function private.can_send_thread_topic(text) from public;
grant execute on function private.can_send_thread_topic(text) to authenticated, service_role;

insert into private.realtime_topic_kinds (prefix, can_receive, can_send)
values ('thread', 'private.can_receive_thread_topic', 'private.can_send_thread_topic');

-- Storage: whether the caller may upload this object name into chat-attachments:
-- '<thread id>/<uuid>.<ext>' in a thread they take part in and that is not blocked.
create function private.can_upload_chat_attachment(name text)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  thread uuid;
begin
  if name !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z0-9]{1,10}$' then
    return false;
  end if;
  thread := split_part(name, '/', 1)::uuid;
  return private.is_chat_participant(thread) and not private.chat_thread_is_blocked(thread);
end;
$$;
revoke execute on function private.can_upload_chat_attachment(text) from public;
grant execute on function private.can_upload_chat_attachment(text) to authenticated, service_role;

-- Storage: whether the caller may read this chat-attachments object. Participants of
-- the thread (its folder) read the files of its messages that are not deleted, and their
-- own uploads; so deleting a message takes its file from the other side at once.
-- Admins read the files of reported messages (the report keeps the path).
create function private.can_read_chat_attachment(name text, owner_id text)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  folder text := split_part(name, '/', 1);
  thread uuid;
begin
  if folder !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  thread := folder::uuid;
  if private.is_chat_participant(thread) then
    return owner_id = (select auth.uid())::text
        or exists (
          select from public.chat_messages as m
          where m.attachment_path = can_read_chat_attachment.name and m.thread_id = thread and m.deleted_at is null);
  end if;
  return private.has_role('admin')
     and exists (
       select from public.chat_reports as r
       where r.thread_id = thread and r.message_attachment_path = can_read_chat_attachment.name);
end;
$$;
revoke execute on function private.can_read_chat_attachment(text, text) from public;
grant execute on function private.can_read_chat_attachment(text, text) to authenticated, service_role;

-- What a notification or inbox shows of a message.
create function private.chat_preview(message public.chat_messages)
returns text
immutable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  return case
    when message.deleted_at is not null then ''
    when message.body is not null then left(message.body, 140)
    else coalesce(message.attachment_name, message.kind::text)
  end;
end;
$$;
revoke execute on function private.chat_preview(public.chat_messages) from public;

-- Trigger: broadcasts a message on its thread's topic when it is edited or deleted.
-- (send_message broadcasts new messages itself: no trigger on the hottest insert.)
-- realtime.send inserts into realtime.messages as the function's owner.
create function private.broadcast_chat_message()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform realtime.send(
    jsonb_build_object('message', to_jsonb(new)),
    case when new.deleted_at is not null then 'message_deleted' else 'message_updated' end,
    'thread:' || new.thread_id::text,
    true);
  return null;
end;
$$;
revoke execute on function private.broadcast_chat_message() from public;

create trigger chat_messages_broadcast_changed
  after update of body, deleted_at on public.chat_messages
  for each row
  when (old.body is distinct from new.body or old.deleted_at is distinct from new.deleted_at)
  execute function private.broadcast_chat_message();

-- Admins removing someone else's message is a privileged action.
create trigger chat_messages_audit_removed
  after update of deleted_at on public.chat_messages
  for each row
  when (old.deleted_at is null and new.deleted_at is not null and new.deleted_by is distinct from new.sender_id)
  execute function private.audit_row('chat_message.removed');

-- A user's chat badge: unread messages over their threads, and threads with any. Two
-- index scans (as customer, as provider) over the thread rows that hold the counts.
create function private.chat_unread_totals(member uuid)
returns table (unread_messages integer, unread_threads integer)
stable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  return query
  select coalesce(sum(x.unread), 0)::integer, (count(*) filter (where x.unread > 0))::integer
  from (
    select t.customer_unread as unread from public.chat_threads as t where t.customer_id = member
    union all
    select t.provider_unread from public.chat_threads as t where t.provider_id = member
  ) as x;
end;
$$;
revoke execute on function private.chat_unread_totals(uuid) from public;

-- Creates a thread unless the pair already has one on this subject; either way returns
-- it. Concurrent calls meet on chat_threads_one_per_subject: one inserts, the others
-- read its row.
create function private.ensure_chat_thread(
  subject public.chat_subject_type,
  customer uuid,
  provider uuid,
  booking uuid default null,
  listing uuid default null)
returns public.chat_threads
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.chat_threads;
begin
  insert into public.chat_threads as t (subject_type, customer_id, provider_id, booking_id, listing_id)
  values (subject, customer, provider, booking, listing)
  on conflict on constraint chat_threads_one_per_subject do nothing
  returning t.* into result;
  if not found then
    select t.* into result
    from public.chat_threads as t
    where t.customer_id = customer and t.provider_id = provider and t.subject_type = subject
      and t.booking_id is not distinct from booking and t.listing_id is not distinct from listing;
  end if;
  return result;
end;
$$;
revoke execute on function private.ensure_chat_thread(public.chat_subject_type, uuid, uuid, uuid, uuid) from public;

-- The caller's thread (optionally locked against sends and reads), or
-- chat_thread_not_found (also for threads that exist but are someone else's: their
-- existence is not revealed).
create function private.require_chat_thread(thread uuid, caller uuid, lock boolean default false)
returns public.chat_threads
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.chat_threads;
begin
  if lock then
    select t.* into result from public.chat_threads as t
    where t.id = thread and caller in (t.customer_id, t.provider_id)
    for no key update;
  else
    select t.* into result from public.chat_threads as t
    where t.id = thread and caller in (t.customer_id, t.provider_id);
  end if;
  if not found then
    perform private.raise_error('chat_thread_not_found', jsonb_build_object('thread_id', thread));
  end if;
  return result;
end;
$$;
revoke execute on function private.require_chat_thread(uuid, uuid, boolean) from public;

-- A participant's row of public.chat_participants, as the API functions return it.
create function private.chat_participant(thread uuid, member uuid)
returns public.chat_participants
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.chat_participants;
begin
  select p.* into result from public.chat_participants as p where p.thread_id = thread and p.user_id = member;
  return result;
end;
$$;
revoke execute on function private.chat_participant(uuid, uuid) from public;

-- Wipes a message's content and takes it out of the unread count of the side that had
-- not read it. The caller has checked who may do it.
create function private.soft_delete_chat_message(message public.chat_messages, remover uuid)
returns public.chat_messages
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.chat_messages;
  thread public.chat_threads;
  for_customer boolean;
  for_provider boolean;
begin
  update public.chat_messages as m
  set deleted_at = now(), deleted_by = remover,
      body = null, attachment_path = null, attachment_name = null, attachment_mime = null, attachment_size = null
  where m.id = message.id and m.deleted_at is null
  returning m.* into result;
  if not found then
    select m.* into result from public.chat_messages as m where m.id = message.id;
    return result;
  end if;
  -- Decided under the thread's lock, against the read positions as they stand.
  select t.* into thread from public.chat_threads as t where t.id = message.thread_id for no key update;
  for_customer := message.sender_id is distinct from thread.customer_id
                  and coalesce(thread.customer_last_read_message_id, 0) < message.id and thread.customer_unread > 0;
  for_provider := message.sender_id is distinct from thread.provider_id
                  and coalesce(thread.provider_last_read_message_id, 0) < message.id and thread.provider_unread > 0;
  if for_customer or for_provider then
    update public.chat_threads as t
    set customer_unread = t.customer_unread - for_customer::integer,
        provider_unread = t.provider_unread - for_provider::integer
    where t.id = thread.id;
  end if;
  return result;
end;
$$;
revoke execute on function private.soft_delete_chat_message(public.chat_messages, uuid) from public;

-- Broadcasts the user's chat badge on their own topic (after reading, so every device follows).
create function private.broadcast_chat_unread(recipient uuid)
returns void
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  totals jsonb;
begin
  select jsonb_build_object('unread_messages', b.unread_messages, 'unread_threads', b.unread_threads)
  into totals
  from private.chat_unread_totals(recipient) as b;
  perform private.broadcast_to_user(recipient, 'chat_unread', totals);
end;
$$;
revoke execute on function private.broadcast_chat_unread(uuid) from public;

-- Blocks or unblocks `blocked_user` for `blocker`, and tells every thread between the
-- two whether it is now blocked (the apps disable the composer). No change, no news.
create function private.set_chat_block(blocker uuid, blocked_user uuid, blocked boolean)
returns void
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  thread record;
  now_blocked boolean;
begin
  if blocked then
    insert into public.chat_blocks (blocker_id, blocked_id)
    values (blocker, blocked_user)
    on conflict on constraint chat_blocks_pkey do nothing;
  else
    delete from public.chat_blocks as b where b.blocker_id = blocker and b.blocked_id = blocked_user;
  end if;
  if not found then
    return;
  end if;
  now_blocked := private.chat_pair_blocked(blocker, blocked_user);
  for thread in
    select t.id from public.chat_threads as t
    where (t.customer_id = blocker and t.provider_id = blocked_user)
       or (t.customer_id = blocked_user and t.provider_id = blocker)
  loop
    perform realtime.send(
      jsonb_build_object('thread_id', thread.id, 'blocked', now_blocked),
      'thread_updated', 'thread:' || thread.id::text, true);
  end loop;
end;
$$;
revoke execute on function private.set_chat_block(uuid, uuid, boolean) from public;

-- ---------------------------------------------------------------------------
-- Storage: chat attachments (private)
-- ---------------------------------------------------------------------------
-- Objects are '<thread id>/<uuid>.<ext>': the thread's participants read them, active
-- participants of an unblocked thread upload them, the uploader deletes them. The
-- identity migration's policies hold one rule per command for authenticated; they
-- are replaced here by the same rules plus the chat branch.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('chat-attachments', 'chat-attachments', false, 10 * 1024 * 1024,
        array['image/jpeg', 'image/png', 'image/webp', 'application/pdf'])
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

drop policy objects_select_owner_or_admin on storage.objects;
drop policy objects_insert_owner on storage.objects;
drop policy objects_delete_owner on storage.objects;

-- Users read their own objects in avatars and verification-documents (Storage needs
-- this for upserts); admins also read every verification document; participants read
-- their threads' chat attachments.
create policy objects_select_owner_or_admin on storage.objects
  for select to authenticated
  using (
    (bucket_id in ('avatars', 'verification-documents') and private.is_own_object(name))
    or (bucket_id = 'verification-documents' and (select private.has_role('admin')))
    or (bucket_id = 'chat-attachments' and private.can_read_chat_attachment(name, owner_id))
  );

-- Active users upload into their own folder, or into a chat thread they may write in.
create policy objects_insert_owner on storage.objects
  for insert to authenticated
  with check (
    ((bucket_id in ('avatars', 'verification-documents') and private.is_own_object(name))
     or (bucket_id = 'chat-attachments' and private.can_upload_chat_attachment(name)))
    and (select private.is_active_user())
  );

-- Active users delete their own objects; in chat-attachments, what they uploaded.
create policy objects_delete_owner on storage.objects
  for delete to authenticated
  using (
    ((bucket_id in ('avatars', 'verification-documents') and private.is_own_object(name))
     or (bucket_id = 'chat-attachments' and owner_id = (select auth.uid())::text))
    and (select private.is_active_user())
  );

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Participants see their threads (both columns are indexed: the inbox is an index scan).
create policy chat_threads_select_participants on public.chat_threads
  for select to authenticated
  using ((select auth.uid()) in (customer_id, provider_id));

-- Participants read their threads' messages.
create policy chat_messages_select_participants on public.chat_messages
  for select to authenticated
  using (private.is_chat_participant(thread_id));

-- Reporters see their own reports; admins see the queue.
create policy chat_reports_select_reporter_or_admin on public.chat_reports
  for select to authenticated
  using (reporter_id = (select auth.uid()) or (select private.has_role('admin')));

-- Users see whom they block, never who blocks them; admins see every block.
create policy chat_blocks_select_blocker_or_admin on public.chat_blocks
  for select to authenticated
  using (blocker_id = (select auth.uid()) or (select private.has_role('admin')));

-- ---------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------

-- A customer's conversation with a provider about one of their listings (listing_id),
-- or about the provider in general (provider_id only). Returns the existing thread
-- when the pair already talks about it; a new one is not opened while either of the
-- two blocks the other.
create function private.open_inquiry(provider_id uuid default null, listing_id uuid default null)
returns public.chat_threads
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  provider uuid := open_inquiry.provider_id;
  listing public.service_listings;
  result public.chat_threads;
begin
  if open_inquiry.listing_id is not null then
    select l.* into listing from public.service_listings as l where l.id = open_inquiry.listing_id;
    if not found or (provider is not null and provider <> listing.provider_id) then
      perform private.raise_error('listing_not_found', jsonb_build_object('listing_id', open_inquiry.listing_id));
    end if;
    provider := listing.provider_id;
  elsif provider is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'provider_id'));
  end if;
  if provider = caller then
    perform private.raise_error('chat_cannot_message_self');
  end if;

  -- An existing conversation stays open even if the listing or provider went inactive
  -- (or the pair is blocked: its history stays readable, sending is what is refused).
  select t.* into result
  from public.chat_threads as t
  where t.customer_id = caller and t.provider_id = provider
    and t.subject_type = case when listing.id is null then 'provider' else 'listing' end::public.chat_subject_type
    and t.booking_id is null and t.listing_id is not distinct from listing.id;
  if found then
    return result;
  end if;

  if listing.id is not null and not listing.active then
    perform private.raise_error('listing_not_found', jsonb_build_object('listing_id', listing.id));
  end if;
  if not exists (select from public.providers as p where p.id = provider and p.active) then
    perform private.raise_error('provider_not_found', jsonb_build_object('provider_id', provider));
  end if;
  if private.chat_pair_blocked(caller, provider) then
    perform private.raise_error('chat_user_blocked');
  end if;
  return private.ensure_chat_thread(
    case when listing.id is null then 'provider' else 'listing' end::public.chat_subject_type,
    caller, provider, null, listing.id);
end;
$$;
revoke execute on function private.open_inquiry(uuid, uuid) from public;
grant execute on function private.open_inquiry(uuid, uuid) to authenticated, service_role;

-- The conversation of a booking, for its customer and provider. Created on first use
-- (also between a blocked pair: the booking goes on, their messages do not).
create function private.open_booking_thread(booking_id uuid)
returns public.chat_threads
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  booking public.bookings;
begin
  select b.* into booking from public.bookings as b
  where b.id = open_booking_thread.booking_id and caller in (b.customer_id, b.provider_id);
  if not found then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', open_booking_thread.booking_id));
  end if;
  return private.ensure_chat_thread('booking', booking.customer_id, booking.provider_id, booking.id, null);
end;
$$;
revoke execute on function private.open_booking_thread(uuid) from public;
grant execute on function private.open_booking_thread(uuid) to authenticated, service_role;

-- Sends a message: text, an attachment (uploaded first to '<thread id>/<uuid>.<ext>' in
-- chat-attachments), or both. A resend with the same client_id returns the stored
-- message and changes nothing.
--
-- The hottest write of the app, so it does no more than the rules need: one locking
-- read (the caller's account, membership, the pair's blocks, both sides' unread
-- counts), the insert, its broadcast, one HOT update of the thread row (newest
-- message, activity, both sides' read state), and private.notify unless the recipient
-- muted the thread. Nothing is written per participant or per user.
create function private.send_message(
  thread_id uuid,
  client_id uuid,
  body text default null,
  attachment_path text default null,
  attachment_name text default null)
returns public.chat_messages
volatile
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
declare
  caller uuid := auth.uid();
  thread uuid := send_message.thread_id;
  content text := nullif(btrim(send_message.body, E' \t\r\n'), '');
  path text := nullif(send_message.attachment_path, '');
  file_name text := nullif(btrim(send_message.attachment_name), '');
  kind public.chat_message_kind := 'text';
  mime text;
  size bigint;
  customer uuid;
  provider uuid;
  customer_had integer;
  provider_had integer;
  recipient_muted boolean;
  caller_status public.account_status;
  is_blocked boolean;
  is_customer boolean;
  recipient uuid;
  sender_had integer;
  result public.chat_messages;
  sender_name text;
begin
  if caller is null then
    perform private.raise_error('not_authenticated');
  end if;
  -- The caller check of private.require_active_user, membership, the block check and
  -- the thread lock every send takes, in one statement. Under the lock, message ids
  -- increase in commit order within the thread, so "read up to id N" never skips a
  -- message that commits later.
  select t.customer_id, t.provider_id, t.customer_unread, t.provider_unread,
         case when t.customer_id = caller then t.provider_muted else t.customer_muted end,
         a.status,
         exists (select from public.chat_blocks as b where b.blocker_id = t.customer_id and b.blocked_id = t.provider_id)
           or exists (select from public.chat_blocks as b where b.blocker_id = t.provider_id and b.blocked_id = t.customer_id)
  into customer, provider, customer_had, provider_had, recipient_muted, caller_status, is_blocked
  from public.chat_threads as t
  join public.accounts as a on a.id = caller
  where t.id = thread and caller in (t.customer_id, t.provider_id)
  for no key update of t;
  if not found then
    select a.status into caller_status from public.accounts as a where a.id = caller;
  end if;
  if caller_status is distinct from 'active' then
    perform private.raise_error('account_suspended');
  end if;
  if send_message.client_id is null then
    perform private.raise_error('chat_message_invalid', jsonb_build_object('field', 'client_id'));
  end if;
  if customer is null or is_blocked then
    -- A retry of a message stored before the thread was blocked still gets its message.
    select m.* into result from public.chat_messages as m
    where m.sender_id = caller and m.client_id = send_message.client_id and m.thread_id = thread;
    if found then
      return result;
    end if;
    if customer is null then
      perform private.raise_error('chat_thread_not_found', jsonb_build_object('thread_id', thread));
    end if;
    perform private.raise_error('chat_thread_blocked', jsonb_build_object('thread_id', thread));
  end if;
  if (content is null and path is null) or length(content) > 4000 or length(file_name) > 200 then
    perform private.raise_error('chat_message_invalid');
  end if;

  if path is not null then
    if path !~ ('^' || thread::text || '/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z0-9]{1,10}$') then
      perform private.raise_error('chat_attachment_invalid', jsonb_build_object('attachment_path', path));
    end if;
    select o.metadata ->> 'mimetype', (o.metadata ->> 'size')::bigint into mime, size
    from storage.objects as o
    where o.bucket_id = 'chat-attachments' and o.name = path and o.owner_id = caller::text;
    if not found then
      perform private.raise_error('chat_attachment_invalid', jsonb_build_object('attachment_path', path));
    end if;
    kind := case when mime like 'image/%' then 'image' else 'file' end;
    file_name := coalesce(file_name, storage.filename(path));
  end if;

  insert into public.chat_messages as m
    (thread_id, sender_id, client_id, kind, body, attachment_path, attachment_name, attachment_mime, attachment_size)
  values (thread, caller, send_message.client_id, kind, content, path,
          case when path is not null then file_name end, mime, size)
  on conflict on constraint chat_messages_client_id_per_sender do nothing
  returning m.* into result;
  if not found then
    -- A retry: the message is stored already (by an earlier attempt, or by the same
    -- message sent twice at once, which waited for the lock). Nothing has changed yet:
    -- return the stored one, whatever this attempt says.
    select m.* into result from public.chat_messages as m
    where m.sender_id = caller and m.client_id = send_message.client_id;
    if result.thread_id <> thread then
      perform private.raise_error('chat_client_id_reused', jsonb_build_object('client_id', send_message.client_id));
    end if;
    return result;
  end if;

  perform realtime.send(jsonb_build_object('message', to_jsonb(result)), 'message_created', 'thread:' || thread::text, true);

  is_customer := caller = customer;
  recipient := case when is_customer then provider else customer end;
  sender_had := case when is_customer then customer_had else provider_had end;

  -- One more unread message for the recipient; the sender has read the thread up to
  -- their own message (replying is reading).
  update public.chat_threads as t
  set last_message_id = result.id,
      activity_at = result.created_at,
      customer_unread = case when is_customer then 0 else t.customer_unread + 1 end,
      customer_last_read_message_id = case when is_customer then result.id else t.customer_last_read_message_id end,
      customer_last_read_at = case when is_customer then result.created_at else t.customer_last_read_at end,
      provider_unread = case when is_customer then t.provider_unread + 1 else 0 end,
      provider_last_read_message_id = case when is_customer then t.provider_last_read_message_id else result.id end,
      provider_last_read_at = case when is_customer then t.provider_last_read_at else result.created_at end
  where t.id = thread;

  -- Probed first: the update fires the notification counters' statement triggers. The
  -- probe is its own IF: as one condition with "sender_had > 0", a call with nothing
  -- unread would give a trivial custom plan, and the probe would be planned afresh on
  -- every call.
  if sender_had > 0 then
    if exists (
      select from public.notifications as n
      where n.user_id = caller and n.collapse_key = 'thread:' || thread::text and n.read_at is null) then
      update public.notifications as n
      set read_at = now()
      where n.user_id = caller and n.collapse_key = 'thread:' || thread::text and n.read_at is null;
    end if;
  end if;
  if not recipient_muted then
    select coalesce(p.display_name, '') into sender_name from public.profiles as p where p.id = caller;
    perform private.notify(recipient, 'chat.message',
      jsonb_build_object(
        'thread_id', thread, 'message_id', result.id, 'sender_id', caller, 'sender_name', sender_name,
        'kind', kind, 'preview', private.chat_preview(result)),
      'thread:' || thread::text);
  end if;
  return result;
end;
$$;
revoke execute on function private.send_message(uuid, uuid, text, text, text) from public;
grant execute on function private.send_message(uuid, uuid, text, text, text) to authenticated, service_role;

-- The author changes a message's text within 15 minutes of sending it.
create function private.edit_message(message_id bigint, body text)
returns public.chat_messages
volatile
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_active_user();
  content text := nullif(btrim(edit_message.body, E' \t\r\n'), '');
  message public.chat_messages;
begin
  select m.* into message from public.chat_messages as m where m.id = edit_message.message_id for update;
  if not found or not exists (
    select from public.chat_threads as t where t.id = message.thread_id and caller in (t.customer_id, t.provider_id)) then
    perform private.raise_error('chat_message_not_found', jsonb_build_object('message_id', edit_message.message_id));
  end if;
  if message.sender_id is distinct from caller then
    perform private.raise_error('chat_not_author');
  end if;
  if message.deleted_at is not null then
    perform private.raise_error('chat_message_deleted');
  end if;
  if message.created_at < now() - interval '15 minutes' then
    perform private.raise_error('chat_edit_window_closed', jsonb_build_object('sent_at', message.created_at));
  end if;
  if private.chat_thread_is_blocked(message.thread_id) then
    perform private.raise_error('chat_thread_blocked', jsonb_build_object('thread_id', message.thread_id));
  end if;
  if (content is null and message.attachment_path is null) or length(content) > 4000 then
    perform private.raise_error('chat_message_invalid');
  end if;
  if content is not distinct from message.body then
    return message;
  end if;
  update public.chat_messages as m
  set body = content, edited_at = now()
  where m.id = message.id
  returning m.* into message;
  return message;
end;
$$;
revoke execute on function private.edit_message(bigint, text) from public;
grant execute on function private.edit_message(bigint, text) to authenticated, service_role;

-- The author, or an admin, deletes a message: its content is wiped, a placeholder stays.
create function private.delete_message(message_id bigint)
returns public.chat_messages
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  message public.chat_messages;
begin
  select m.* into message from public.chat_messages as m where m.id = delete_message.message_id for update;
  if found and message.sender_id is distinct from caller and not private.is_admin() then
    if exists (select from public.chat_threads as t where t.id = message.thread_id and caller in (t.customer_id, t.provider_id)) then
      perform private.raise_error('chat_not_author');
    end if;
    message := null;
  end if;
  if message.id is null then
    perform private.raise_error('chat_message_not_found', jsonb_build_object('message_id', delete_message.message_id));
  end if;
  return private.soft_delete_chat_message(message, caller);
end;
$$;
revoke execute on function private.delete_message(bigint) from public;
grant execute on function private.delete_message(bigint) to authenticated, service_role;

-- Marks the thread read up to a message (default: the newest). Never moves backwards.
-- Broadcasts the read receipt on the thread and the new badge on the user's topic.
create function private.mark_thread_read(thread_id uuid, up_to_message_id bigint default null)
returns public.chat_participants
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  thread public.chat_threads;
  is_customer boolean;
  read_before bigint;
  read_to bigint;
  unread integer;
  read_time timestamptz := now();
begin
  -- Under the thread's lock: sends and deletions change the same counts.
  thread := private.require_chat_thread(mark_thread_read.thread_id, caller, lock => true);
  is_customer := thread.customer_id = caller;
  read_before := case when is_customer then thread.customer_last_read_message_id else thread.provider_last_read_message_id end;
  read_to := least(coalesce(up_to_message_id, thread.last_message_id), thread.last_message_id);
  if read_to is null or read_to <= coalesce(read_before, 0) then
    return private.chat_participant(thread.id, caller);
  end if;
  if read_to = thread.last_message_id then
    unread := 0;
  else
    select count(*) into unread
    from public.chat_messages as m
    where m.thread_id = thread.id and m.id > read_to
      and m.sender_id is distinct from caller and m.deleted_at is null;
  end if;
  update public.chat_threads as t
  set customer_last_read_message_id = case when is_customer then read_to else t.customer_last_read_message_id end,
      customer_last_read_at = case when is_customer then read_time else t.customer_last_read_at end,
      customer_unread = case when is_customer then unread else t.customer_unread end,
      provider_last_read_message_id = case when is_customer then t.provider_last_read_message_id else read_to end,
      provider_last_read_at = case when is_customer then t.provider_last_read_at else read_time end,
      provider_unread = case when is_customer then t.provider_unread else unread end
  where t.id = thread.id;

  if unread = 0 then
    update public.notifications as n
    set read_at = now()
    where n.user_id = caller and n.collapse_key = 'thread:' || thread.id::text and n.read_at is null;
  end if;
  perform realtime.send(
    jsonb_build_object('thread_id', thread.id, 'user_id', caller, 'last_read_message_id', read_to, 'read_at', read_time),
    'read', 'thread:' || thread.id::text, true);
  perform private.broadcast_chat_unread(caller);
  return private.chat_participant(thread.id, caller);
end;
$$;
revoke execute on function private.mark_thread_read(uuid, bigint) from public;
grant execute on function private.mark_thread_read(uuid, bigint) to authenticated, service_role;

-- Mutes or unmutes a thread's notifications for the caller.
create function private.set_thread_muted(thread_id uuid, muted boolean)
returns public.chat_participants
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  thread public.chat_threads;
begin
  if set_thread_muted.muted is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'muted'));
  end if;
  thread := private.require_chat_thread(set_thread_muted.thread_id, caller);
  update public.chat_threads as t
  set customer_muted = case when t.customer_id = caller then set_thread_muted.muted else t.customer_muted end,
      provider_muted = case when t.provider_id = caller then set_thread_muted.muted else t.provider_muted end
  where t.id = thread.id;
  return private.chat_participant(thread.id, caller);
end;
$$;
revoke execute on function private.set_thread_muted(uuid, boolean) from public;
grant execute on function private.set_thread_muted(uuid, boolean) to authenticated, service_role;

-- Blocks or unblocks the other participant of a thread: the block is between the two
-- people, so it holds in every thread between them (see chat_blocks). Unblocking lifts
-- only the caller's own block.
create function private.set_thread_blocked(thread_id uuid, blocked boolean)
returns public.chat_participants
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  thread public.chat_threads;
begin
  if set_thread_blocked.blocked is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'blocked'));
  end if;
  thread := private.require_chat_thread(set_thread_blocked.thread_id, caller);
  perform private.set_chat_block(
    caller,
    case when thread.customer_id = caller then thread.provider_id else thread.customer_id end,
    set_thread_blocked.blocked);
  return private.chat_participant(thread.id, caller);
end;
$$;
revoke execute on function private.set_thread_blocked(uuid, boolean) from public;
grant execute on function private.set_thread_blocked(uuid, boolean) to authenticated, service_role;

-- Blocks or unblocks a user by id (the app's list of blocked people: chat_blocks).
-- Returns whether the caller now blocks them.
create function private.set_user_blocked(user_id uuid, blocked boolean)
returns boolean
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
begin
  if set_user_blocked.blocked is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'blocked'));
  end if;
  if set_user_blocked.user_id is null or set_user_blocked.user_id = caller then
    perform private.raise_error('chat_block_invalid');
  end if;
  if not exists (select from public.profiles as p where p.id = set_user_blocked.user_id) then
    perform private.raise_error('not_found', jsonb_build_object('user_id', set_user_blocked.user_id));
  end if;
  perform private.set_chat_block(caller, set_user_blocked.user_id, set_user_blocked.blocked);
  return set_user_blocked.blocked;
end;
$$;
revoke execute on function private.set_user_blocked(uuid, boolean) from public;
grant execute on function private.set_user_blocked(uuid, boolean) to authenticated, service_role;

-- A participant reports someone else's message to the admins. Reporting the same
-- message again returns the first report.
create function private.report_message(message_id bigint, reason public.chat_report_reason, note text default null)
returns public.chat_reports
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  message public.chat_messages;
  result public.chat_reports;
  remark text := nullif(btrim(note), '');
begin
  select m.* into message
  from public.chat_messages as m
  join public.chat_threads as t on t.id = m.thread_id and caller in (t.customer_id, t.provider_id)
  where m.id = report_message.message_id;
  if not found then
    perform private.raise_error('chat_message_not_found', jsonb_build_object('message_id', report_message.message_id));
  end if;
  if reason is null or message.sender_id is not distinct from caller or length(remark) > 1000 then
    perform private.raise_error('chat_report_invalid');
  end if;
  insert into public.chat_reports as r
    (message_id, thread_id, reporter_id, reported_user_id, reason, note,
     message_kind, message_body, message_attachment_path, message_sent_at)
  values (message.id, message.thread_id, caller, message.sender_id, reason, remark,
          message.kind, message.body, message.attachment_path, message.created_at)
  on conflict on constraint chat_reports_one_per_reporter do nothing
  returning r.* into result;
  if not found then
    select r.* into result from public.chat_reports as r where r.message_id = message.id and r.reporter_id = caller;
  end if;
  return result;
end;
$$;
revoke execute on function private.report_message(bigint, public.chat_report_reason, text) from public;
grant execute on function private.report_message(bigint, public.chat_report_reason, text) to authenticated, service_role;

-- Admins close a report: dismissed, or actioned (optionally deleting the message).
create function private.resolve_chat_report(
  report_id uuid,
  status public.chat_report_status,
  note text default null,
  delete_message boolean default false)
returns public.chat_reports
volatile
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
declare
  caller uuid := private.require_admin();
  remark text := nullif(btrim(resolve_chat_report.note), '');
  report public.chat_reports;
  message public.chat_messages;
begin
  if resolve_chat_report.status is null or resolve_chat_report.status = 'open' or length(remark) > 1000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'status'));
  end if;
  perform private.set_audit_reason(remark);
  select r.* into report from public.chat_reports as r where r.id = resolve_chat_report.report_id for update;
  if not found then
    perform private.raise_error('chat_report_not_found', jsonb_build_object('report_id', resolve_chat_report.report_id));
  end if;
  if report.status <> 'open' then
    perform private.raise_error('chat_report_closed');
  end if;
  if coalesce(resolve_chat_report.delete_message, false) then
    select m.* into message from public.chat_messages as m where m.id = report.message_id for update;
    perform private.soft_delete_chat_message(message, caller);
  end if;
  update public.chat_reports as r
  set status = resolve_chat_report.status, resolved_by = caller, resolved_at = now(), resolution_note = remark
  where r.id = report.id
  returning r.* into report;
  return report;
end;
$$;
revoke execute on function private.resolve_chat_report(uuid, public.chat_report_status, text, boolean) from public;
grant execute on function private.resolve_chat_report(uuid, public.chat_report_status, text, boolean) to authenticated, service_role;

create trigger chat_reports_audit_resolved
  after update of status on public.chat_reports
  for each row when (old.status is distinct from new.status)
  execute function private.audit_row('chat_report.resolved');

-- A page of history: membership checked once, then one backward range scan of
-- chat_messages_thread_id, without a per-row policy check.
create function private.list_messages(thread_id uuid, before_id bigint default null, page_size integer default 50)
returns setof public.chat_messages
stable
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
begin
  if page_size is null or page_size not between 1 and 100 then
    perform private.raise_error('chat_page_invalid');
  end if;
  if not private.is_chat_participant(list_messages.thread_id) then
    perform private.raise_error('chat_thread_not_found', jsonb_build_object('thread_id', list_messages.thread_id));
  end if;
  return query
  select m.*
  from public.chat_messages as m
  where m.thread_id = list_messages.thread_id
    -- coalesce, not "is null or": the cached plan keeps id in the index condition.
    and m.id < coalesce(list_messages.before_id, 9223372036854775807)
  order by m.id desc
  limit page_size;
end;
$$;
revoke execute on function private.list_messages(uuid, bigint, integer) from public;
grant execute on function private.list_messages(uuid, bigint, integer) to authenticated, service_role;

-- The caller's inbox, read without a policy check per thread (see is_chat_participant):
-- the caller's threads as customer and as provider, one index each.
create function private.list_threads(
  page_size integer default 20,
  before_activity_at timestamptz default null,
  before_thread_id uuid default null)
returns table (
  thread_id uuid,
  subject_type public.chat_subject_type,
  booking_id uuid,
  listing_id uuid,
  customer_id uuid,
  provider_id uuid,
  activity_at timestamptz,
  unread_count integer,
  last_read_message_id bigint,
  muted boolean,
  blocked boolean,
  last_message jsonb)
stable
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
declare
  caller uuid := auth.uid();
begin
  if page_size is null or page_size not between 1 and 100 or (before_activity_at is null) <> (before_thread_id is null) then
    perform private.raise_error('chat_page_invalid');
  end if;
  return query
  select t.id, t.subject_type, t.booking_id, t.listing_id, t.customer_id, t.provider_id, t.activity_at,
         case when t.customer_id = caller then t.customer_unread else t.provider_unread end,
         case when t.customer_id = caller then t.customer_last_read_message_id else t.provider_last_read_message_id end,
         case when t.customer_id = caller then t.customer_muted else t.provider_muted end,
         exists (select from public.chat_blocks as b where b.blocker_id = t.customer_id and b.blocked_id = t.provider_id)
           or exists (select from public.chat_blocks as b where b.blocker_id = t.provider_id and b.blocked_id = t.customer_id),
         (select to_jsonb(m) from public.chat_messages as m where m.id = t.last_message_id)
  from public.chat_threads as t
  where (t.customer_id = caller or t.provider_id = caller)
    and (before_activity_at is null or (t.activity_at, t.id) < (before_activity_at, before_thread_id))
  order by t.activity_at desc, t.id desc
  limit page_size;
end;
$$;
revoke execute on function private.list_threads(integer, timestamptz, uuid) from public;
grant execute on function private.list_threads(integer, timestamptz, uuid) to authenticated, service_role;

-- The caller's chat badge.
create function private.chat_unread_count()
returns table (unread_messages integer, unread_threads integer)
stable
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
begin
  return query select * from private.chat_unread_totals(auth.uid());
end;
$$;
revoke execute on function private.chat_unread_count() from public;
grant execute on function private.chat_unread_count() to authenticated, service_role;

-- API: opens (or returns) the caller's conversation with a provider about a listing,
-- or about the provider in general when only provider_id is given.
create function public.open_inquiry(provider_id uuid default null, listing_id uuid default null)
returns public.chat_threads
volatile
security invoker
set search_path = ''
language sql
as $$ select private.open_inquiry(provider_id, listing_id); $$;
revoke execute on function public.open_inquiry(uuid, uuid) from public, anon;
grant execute on function public.open_inquiry(uuid, uuid) to authenticated;

-- API: opens (or returns) a booking's conversation, for its customer or provider.
create function public.open_booking_thread(booking_id uuid)
returns public.chat_threads
volatile
security invoker
set search_path = ''
language sql
as $$ select private.open_booking_thread(booking_id); $$;
revoke execute on function public.open_booking_thread(uuid) from public, anon;
grant execute on function public.open_booking_thread(uuid) to authenticated;

-- API: sends a message; a retry with the same client_id returns the same message.
-- PL/pgSQL rather than SQL like the other wrappers: it keeps its plan between calls.
create function public.send_message(
  thread_id uuid,
  client_id uuid,
  body text default null,
  attachment_path text default null,
  attachment_name text default null)
returns public.chat_messages
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  return private.send_message(thread_id, client_id, body, attachment_path, attachment_name);
end;
$$;
revoke execute on function public.send_message(uuid, uuid, text, text, text) from public, anon;
grant execute on function public.send_message(uuid, uuid, text, text, text) to authenticated;

-- API: the author edits a message's text within 15 minutes.
create function public.edit_message(message_id bigint, body text)
returns public.chat_messages
volatile
security invoker
set search_path = ''
language sql
as $$ select private.edit_message(message_id, body); $$;
revoke execute on function public.edit_message(bigint, text) from public, anon;
grant execute on function public.edit_message(bigint, text) to authenticated;

-- API: the author or an admin deletes a message (soft: a placeholder stays).
create function public.delete_message(message_id bigint)
returns public.chat_messages
volatile
security invoker
set search_path = ''
language sql
as $$ select private.delete_message(message_id); $$;
revoke execute on function public.delete_message(bigint) from public, anon;
grant execute on function public.delete_message(bigint) to authenticated;

-- API: marks the caller's thread read up to a message (default: all of it).
create function public.mark_thread_read(thread_id uuid, up_to_message_id bigint default null)
returns public.chat_participants
volatile
security invoker
set search_path = ''
language sql
as $$ select private.mark_thread_read(thread_id, up_to_message_id); $$;
revoke execute on function public.mark_thread_read(uuid, bigint) from public, anon;
grant execute on function public.mark_thread_read(uuid, bigint) to authenticated;

-- API: mutes or unmutes a thread's notifications for the caller.
create function public.set_thread_muted(thread_id uuid, muted boolean)
returns public.chat_participants
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_thread_muted(thread_id, muted); $$;
revoke execute on function public.set_thread_muted(uuid, boolean) from public, anon;
grant execute on function public.set_thread_muted(uuid, boolean) to authenticated;

-- API: blocks or unblocks the other participant of a thread. The block is between the
-- two people: while either blocks the other, nobody sends in any thread between them.
create function public.set_thread_blocked(thread_id uuid, blocked boolean)
returns public.chat_participants
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_thread_blocked(thread_id, blocked); $$;
revoke execute on function public.set_thread_blocked(uuid, boolean) from public, anon;
grant execute on function public.set_thread_blocked(uuid, boolean) to authenticated;

-- API: blocks or unblocks a user by id (e.g. from the list of blocked people, which is
-- the caller's rows of chat_blocks). Returns whether the caller now blocks them.
create function public.set_user_blocked(user_id uuid, blocked boolean)
returns boolean
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_user_blocked(user_id, blocked); $$;
revoke execute on function public.set_user_blocked(uuid, boolean) from public, anon;
grant execute on function public.set_user_blocked(uuid, boolean) to authenticated;

-- API: reports someone else's message to the admins.
create function public.report_message(message_id bigint, reason public.chat_report_reason, note text default null)
returns public.chat_reports
volatile
security invoker
set search_path = ''
language sql
as $$ select private.report_message(message_id, reason, note); $$;
revoke execute on function public.report_message(bigint, public.chat_report_reason, text) from public, anon;
grant execute on function public.report_message(bigint, public.chat_report_reason, text) to authenticated;

-- API: admins resolve a report, optionally deleting the message.
create function public.resolve_chat_report(
  report_id uuid,
  status public.chat_report_status,
  note text default null,
  delete_message boolean default false)
returns public.chat_reports
volatile
security invoker
set search_path = ''
language sql
as $$ select private.resolve_chat_report(report_id, status, note, delete_message); $$;
revoke execute on function public.resolve_chat_report(uuid, public.chat_report_status, text, boolean) from public, anon;
grant execute on function public.resolve_chat_report(uuid, public.chat_report_status, text, boolean) to authenticated;

-- API: the caller's chat badge: unread messages, and threads with unread messages.
create function public.chat_unread_count()
returns table (unread_messages integer, unread_threads integer)
stable
security invoker
set search_path = ''
language sql
as $$ select * from private.chat_unread_count(); $$;
revoke execute on function public.chat_unread_count() from public, anon;
grant execute on function public.chat_unread_count() to authenticated;

-- API: a page of a thread's history, newest first. Pass the last id of a page as
-- before_id for the next one. A thread that is not the caller's is chat_thread_not_found.
create function public.list_messages(thread_id uuid, before_id bigint default null, page_size integer default 50)
returns setof public.chat_messages
stable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  return query select * from private.list_messages(thread_id, before_id, page_size);
end;
$$;
revoke execute on function public.list_messages(uuid, bigint, integer) from public, anon;
grant execute on function public.list_messages(uuid, bigint, integer) to authenticated;

-- API: the caller's inbox, most recent activity first, with their unread count and the
-- newest message of each thread. Keyset: pass the last row's activity_at and thread_id.
create function public.list_threads(
  page_size integer default 20,
  before_activity_at timestamptz default null,
  before_thread_id uuid default null)
returns table (
  thread_id uuid,
  subject_type public.chat_subject_type,
  booking_id uuid,
  listing_id uuid,
  customer_id uuid,
  provider_id uuid,
  activity_at timestamptz,
  unread_count integer,
  last_read_message_id bigint,
  muted boolean,
  blocked boolean,
  last_message jsonb)
stable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  return query select * from private.list_threads(page_size, before_activity_at, before_thread_id);
end;
$$;
revoke execute on function public.list_threads(integer, timestamptz, uuid) from public, anon;
grant execute on function public.list_threads(integer, timestamptz, uuid) to authenticated;

-- API: the admins' queue of reports (open by default), oldest first. Keyset: pass the
-- last row's created_at and id.
create function public.list_chat_reports(
  status public.chat_report_status default 'open',
  page_size integer default 50,
  after_created_at timestamptz default null,
  after_id uuid default null)
returns setof public.chat_reports
stable
security invoker
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
begin
  perform private.require_admin();
  if page_size is null or page_size not between 1 and 100 or (after_created_at is null) <> (after_id is null) then
    perform private.raise_error('chat_page_invalid');
  end if;
  return query
  select r.*
  from public.chat_reports as r
  where r.status = list_chat_reports.status
    and (after_created_at is null or (r.created_at, r.id) > (after_created_at, after_id))
  order by r.created_at, r.id
  limit page_size;
end;
$$;
revoke execute on function public.list_chat_reports(public.chat_report_status, integer, timestamptz, uuid) from public, anon;
grant execute on function public.list_chat_reports(public.chat_report_status, integer, timestamptz, uuid) to authenticated;

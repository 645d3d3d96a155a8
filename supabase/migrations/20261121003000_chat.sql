-- Chat: conversations between a customer and a provider about a booking, a listing or
-- the provider in general; messages with text, images and files; read receipts and
-- unread counts; blocking, muting and reports; live delivery over Realtime Broadcast.
--
-- - A thread has one subject: subject_type names it and exactly one reference column
--   holds it (booking_id, listing_id; none for 'provider'). There is one thread per
--   customer, provider and subject (chat_threads_one_per_subject): open_inquiry and
--   open_booking_thread return the existing one. Orders join later as subject 'order'
--   with an order_id column and a branch in chat_thread_subject_matches.
-- - Every write goes through the API functions below (security definer in private,
--   invoker wrappers in public); API roles only read the tables, through RLS.
-- - send_message takes a client-generated id: a resend returns the stored message.
--   It locks the thread row and takes the message id under that lock, so a thread's
--   ids increase in commit order; read receipts (last_read_message_id) and the unread
--   counters rely on it.
-- - Unread: each participant row keeps unread_count (messages from others after
--   last_read_message_id, deleted ones excluded), and private.chat_unread_counters the
--   per-user totals for the badge, kept by a trigger on the participant rows.
-- - Realtime: a trigger broadcasts created, edited and deleted messages on the private
--   topic thread:<id>; participants receive on it, and active participants of a thread
--   nobody blocked may send on it (typing, presence). History lives here: Realtime
--   keeps its rows 72 hours.
-- - A new message notifies the other participants (private.notify, collapsed per
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

-- A conversation. customer_id asked, provider_id answers; both are participants.
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
  created_at timestamptz not null default now(),
  constraint chat_thread_subject_matches check (
    case subject_type
      when 'booking' then booking_id is not null and listing_id is null
      when 'listing' then listing_id is not null and booking_id is null
      when 'provider' then booking_id is null and listing_id is null
    end),
  constraint chat_thread_parties_differ check (customer_id <> provider_id),
  -- One thread per pair and subject; unused reference columns are null and compare equal.
  constraint chat_threads_one_per_subject unique nulls not distinct (customer_id, provider_id, subject_type, booking_id, listing_id)
);
create index chat_threads_provider_id on public.chat_threads (provider_id);
create index chat_threads_booking_id on public.chat_threads (booking_id);
create index chat_threads_listing_id on public.chat_threads (listing_id);

alter table public.chat_threads enable row level security;
revoke all on table public.chat_threads from anon, authenticated;
grant select on table public.chat_threads to authenticated;
grant all on table public.chat_threads to service_role;

-- Who is in a thread, and each one's read position, unread count and settings.
create table public.chat_participants (
  thread_id uuid not null references public.chat_threads (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role public.chat_participant_role not null,
  -- Read receipt: every message up to this id has been seen.
  last_read_message_id bigint,
  last_read_at timestamptz,
  -- Messages from others after last_read_message_id, deleted ones excluded.
  unread_count integer not null default 0,
  -- No notifications for this thread.
  muted boolean not null default false,
  -- Set when this participant blocked the thread: nobody can message in it until unblocked.
  blocked_at timestamptz,
  joined_at timestamptz not null default now(),
  constraint chat_participants_pkey primary key (thread_id, user_id),
  constraint chat_participant_unread_not_negative check (unread_count >= 0)
);
-- The user's threads (inbox, RLS, badge). Deliberately nothing on unread_count or the
-- read position: every message updates them, and those updates stay HOT.
create index chat_participants_user_id on public.chat_participants (user_id);

alter table public.chat_participants enable row level security;
revoke all on table public.chat_participants from anon, authenticated;
grant select on table public.chat_participants to authenticated;
grant all on table public.chat_participants to service_role;

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

-- Per-user totals for the chat badge, kept exact by a trigger on chat_participants in
-- the same transaction: a primary-key read on every screen. Not exposed: read through
-- public.chat_unread_count().
create table private.chat_unread_counters (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  -- Unread messages over all threads, and threads with at least one.
  unread_messages integer not null default 0,
  unread_threads integer not null default 0,
  constraint chat_unread_not_negative check (unread_messages >= 0 and unread_threads >= 0)
);
revoke all on table private.chat_unread_counters from public, anon, authenticated;

insert into private.error_catalogue (code, sqlstate, message) values
  ('chat_thread_not_found', 'PT404', 'No such conversation.'),
  ('chat_message_not_found', 'PT404', 'No such message.'),
  ('chat_message_invalid', '22023', 'A message has a client id and text of 1 to 4000 characters, an attachment, or both.'),
  ('chat_attachment_invalid', '22023', 'Attach a file you uploaded to this conversation''s folder of chat-attachments.'),
  ('chat_client_id_reused', 'PT409', 'This client id already belongs to a message in another conversation.'),
  ('chat_thread_blocked', 'PT403', 'This conversation is blocked: no one can send messages in it.'),
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
-- so the participants' own policy can use it without recursing. The helpers here are
-- PL/pgSQL, not SQL: a SQL function that cannot be inlined (security definer, SET
-- search_path) is planned again on every call, a PL/pgSQL one keeps its plan.
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
begin
  return exists (select from public.chat_participants as p where p.thread_id = thread and p.user_id = auth.uid());
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

-- Whether anyone in the thread blocked it.
create function private.chat_thread_is_blocked(thread uuid)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
begin
  return exists (select from public.chat_participants as p where p.thread_id = thread and p.blocked_at is not null);
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
-- '<thread id>/<uuid>.<ext>' in a thread they take part in and nobody blocked.
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

-- Storage: whether the caller may read this chat-attachments object: its folder is a
-- thread they take part in.
create function private.can_read_chat_attachment(name text)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  folder text := split_part(name, '/', 1);
begin
  return folder ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     and private.is_chat_participant(folder::uuid);
end;
$$;
revoke execute on function private.can_read_chat_attachment(text) from public;
grant execute on function private.can_read_chat_attachment(text) to authenticated, service_role;

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

-- Trigger: broadcasts a message on its thread's topic when it is created, edited or
-- deleted. realtime.send inserts into realtime.messages as the function's owner.
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
    case
      when tg_op = 'INSERT' then 'message_created'
      when new.deleted_at is not null then 'message_deleted'
      else 'message_updated'
    end,
    'thread:' || new.thread_id::text,
    true);
  return null;
end;
$$;
revoke execute on function private.broadcast_chat_message() from public;

create trigger chat_messages_broadcast_created
  after insert on public.chat_messages
  for each row execute function private.broadcast_chat_message();
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

-- Trigger: keeps private.chat_unread_counters equal to the sums over the user's
-- participant rows, whatever changes them (sends, reads, deletes, cascades).
create function private.count_chat_unread()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  if tg_op = 'DELETE' then
    update private.chat_unread_counters as c
    set unread_messages = greatest(c.unread_messages - old.unread_count, 0),
        unread_threads = greatest(c.unread_threads - 1, 0)
    where c.user_id = old.user_id;
  else
    update private.chat_unread_counters as c
    set unread_messages = greatest(c.unread_messages + new.unread_count - old.unread_count, 0),
        unread_threads = greatest(c.unread_threads + (new.unread_count > 0)::integer - (old.unread_count > 0)::integer, 0)
    where c.user_id = new.user_id;
  end if;
  return null;
end;
$$;
revoke execute on function private.count_chat_unread() from public;

create trigger chat_participants_count_unread
  after update of unread_count on public.chat_participants
  for each row when (old.unread_count <> new.unread_count)
  execute function private.count_chat_unread();
create trigger chat_participants_count_removed
  after delete on public.chat_participants
  for each row when (old.unread_count > 0)
  execute function private.count_chat_unread();

-- Creates a thread unless the pair already has one on this subject; either way returns
-- it, with both participants and their counters in place. Concurrent calls meet on
-- chat_threads_one_per_subject: one inserts, the others read its row.
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
    return result;
  end if;
  insert into public.chat_participants (thread_id, user_id, role)
  values (result.id, customer, 'customer'), (result.id, provider, 'provider');
  insert into private.chat_unread_counters (user_id)
  values (customer), (provider)
  on conflict (user_id) do nothing;
  return result;
end;
$$;
revoke execute on function private.ensure_chat_thread(public.chat_subject_type, uuid, uuid, uuid, uuid) from public;

-- The caller's participant row, or chat_thread_not_found (also for threads that exist
-- but are someone else's: their existence is not revealed).
create function private.require_chat_participant(thread uuid, caller uuid, lock boolean default false)
returns public.chat_participants
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  me public.chat_participants;
begin
  if lock then
    select p.* into me from public.chat_participants as p where p.thread_id = thread and p.user_id = caller for update;
  else
    select p.* into me from public.chat_participants as p where p.thread_id = thread and p.user_id = caller;
  end if;
  if not found then
    perform private.raise_error('chat_thread_not_found', jsonb_build_object('thread_id', thread));
  end if;
  return me;
end;
$$;
revoke execute on function private.require_chat_participant(uuid, uuid, boolean) from public;

-- Wipes a message's content and takes it out of the unread counts of those who had
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
  update public.chat_participants as p
  set unread_count = greatest(p.unread_count - 1, 0)
  where p.thread_id = message.thread_id
    and p.user_id is distinct from message.sender_id
    and coalesce(p.last_read_message_id, 0) < message.id
    and p.unread_count > 0;
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
language sql
as $$
  select private.broadcast_to_user(recipient, 'chat_unread',
    coalesce((select jsonb_build_object('unread_messages', c.unread_messages, 'unread_threads', c.unread_threads)
              from private.chat_unread_counters as c where c.user_id = recipient),
             '{"unread_messages": 0, "unread_threads": 0}'::jsonb));
$$;
revoke execute on function private.broadcast_chat_unread(uuid) from public;

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
    or (bucket_id = 'chat-attachments' and private.can_read_chat_attachment(name))
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

-- Participants see their threads.
create policy chat_threads_select_participants on public.chat_threads
  for select to authenticated
  using (private.is_chat_participant(id));

-- Participants see who is in their threads and how far each has read (their own row
-- decides without a probe).
create policy chat_participants_select_participants on public.chat_participants
  for select to authenticated
  using (user_id = (select auth.uid()) or private.is_chat_participant(thread_id));

-- Participants read their threads' messages.
create policy chat_messages_select_participants on public.chat_messages
  for select to authenticated
  using (private.is_chat_participant(thread_id));

-- Reporters see their own reports; admins see the queue.
create policy chat_reports_select_reporter_or_admin on public.chat_reports
  for select to authenticated
  using (reporter_id = (select auth.uid()) or (select private.has_role('admin')));

-- ---------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------

-- A customer's conversation with a provider about one of their listings (listing_id),
-- or about the provider in general (provider_id only). Returns the existing thread
-- when the pair already talks about it.
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

  -- An existing conversation stays open even if the listing or provider went inactive.
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
  return private.ensure_chat_thread(
    case when listing.id is null then 'provider' else 'listing' end::public.chat_subject_type,
    caller, provider, null, listing.id);
end;
$$;
revoke execute on function private.open_inquiry(uuid, uuid) from public;
grant execute on function private.open_inquiry(uuid, uuid) to authenticated, service_role;

-- The conversation of a booking, for its customer and provider. Created on first use.
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
  caller_status public.account_status;
  is_participant boolean;
  is_blocked boolean;
  message_id bigint;
  result public.chat_messages;
  recipient record;
  sender_name text;
  params jsonb;
begin
  -- The caller check of private.require_active_user (signed in, account active), done
  -- here in one query with the membership and block checks: this is the hottest write
  -- of the app, and each helper call costs a planning round.
  if caller is null then
    perform private.raise_error('not_authenticated');
  end if;
  select a.status,
         exists (select from public.chat_participants as p where p.thread_id = thread and p.user_id = caller),
         exists (select from public.chat_participants as p where p.thread_id = thread and p.blocked_at is not null)
  into caller_status, is_participant, is_blocked
  from public.accounts as a
  where a.id = caller;
  if caller_status is distinct from 'active' then
    perform private.raise_error('account_suspended');
  end if;
  if send_message.client_id is null then
    perform private.raise_error('chat_message_invalid', jsonb_build_object('field', 'client_id'));
  end if;
  if not is_participant or is_blocked then
    -- A retry of a message stored before the thread was blocked still gets its message.
    select m.* into result from public.chat_messages as m
    where m.sender_id = caller and m.client_id = send_message.client_id and m.thread_id = thread;
    if found then
      return result;
    end if;
    if not is_participant then
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

  -- Lock the thread and take the id under the lock: within a thread, ids increase in
  -- commit order, so "read up to id N" never skips a message that commits later.
  update public.chat_threads as t
  set last_message_id = nextval('public.chat_messages_id_seq'), activity_at = now()
  where t.id = thread
  returning t.last_message_id into message_id;
  if message_id is null then
    -- Removed since the checks above (its booking or a party's account was deleted).
    perform private.raise_error('chat_thread_not_found', jsonb_build_object('thread_id', thread));
  end if;

  insert into public.chat_messages as m
    (id, thread_id, sender_id, client_id, kind, body, attachment_path, attachment_name, attachment_mime, attachment_size)
  overriding system value
  values (message_id, thread, caller, send_message.client_id, kind, content, path,
          case when path is not null then file_name end, mime, size)
  on conflict on constraint chat_messages_client_id_per_sender do nothing
  returning m.* into result;
  if not found then
    -- A retry: the message is stored already (by an earlier attempt, or by the same
    -- message sent twice at once). Undo the pointer move and return the stored one,
    -- whatever this attempt says; nothing else changes.
    update public.chat_threads as t
    set last_message_id = newest.id, activity_at = coalesce(newest.created_at, t.created_at)
    from (select t2.id as thread_id, m.id, m.created_at
          from public.chat_threads as t2
          left join lateral (select m.id, m.created_at from public.chat_messages as m
                             where m.thread_id = t2.id order by m.id desc limit 1) as m on true
          where t2.id = thread) as newest
    where t.id = newest.thread_id;
    select m.* into result from public.chat_messages as m
    where m.sender_id = caller and m.client_id = send_message.client_id;
    if result.thread_id <> thread then
      perform private.raise_error('chat_client_id_reused', jsonb_build_object('client_id', send_message.client_id));
    end if;
    return result;
  end if;

  -- One more unread message for everyone else; a sender who had unread messages has
  -- now read the thread (replying is reading).
  for recipient in
    update public.chat_participants as p
    set unread_count = case when p.user_id = caller then 0 else p.unread_count + 1 end,
        last_read_message_id = case when p.user_id = caller then message_id else p.last_read_message_id end,
        last_read_at = case when p.user_id = caller then now() else p.last_read_at end
    where p.thread_id = thread and (p.user_id <> caller or p.unread_count > 0)
    returning p.user_id, p.muted
  loop
    if recipient.user_id = caller then
      update public.notifications as n
      set read_at = now()
      where n.user_id = caller and n.collapse_key = 'thread:' || thread::text and n.read_at is null;
    elsif not recipient.muted then
      if params is null then
        select coalesce(p.display_name, '') into sender_name from public.profiles as p where p.id = caller;
        params := jsonb_build_object(
          'thread_id', thread, 'message_id', message_id, 'sender_id', caller, 'sender_name', sender_name,
          'kind', kind, 'preview', private.chat_preview(result));
      end if;
      perform private.notify(recipient.user_id, 'chat.message', params, 'thread:' || thread::text);
    end if;
  end loop;
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
    select from public.chat_participants as p where p.thread_id = message.thread_id and p.user_id = caller) then
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
    if exists (select from public.chat_participants as p where p.thread_id = message.thread_id and p.user_id = caller) then
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
  thread uuid := mark_thread_read.thread_id;
  me public.chat_participants;
  newest bigint;
  read_to bigint;
  unread integer;
begin
  -- Lock our row first: a send that already counted for us has committed by then, and
  -- one that has not yet waits for us and will count its message after read_to.
  me := private.require_chat_participant(thread, caller, lock => true);
  select t.last_message_id into newest from public.chat_threads as t where t.id = thread;
  read_to := least(coalesce(up_to_message_id, newest), newest);
  if read_to is null or read_to <= coalesce(me.last_read_message_id, 0) then
    return me;
  end if;
  if read_to = newest then
    unread := 0;
  else
    select count(*) into unread
    from public.chat_messages as m
    where m.thread_id = thread and m.id > read_to
      and m.sender_id is distinct from caller and m.deleted_at is null;
  end if;
  update public.chat_participants as p
  set last_read_message_id = read_to, last_read_at = now(), unread_count = unread
  where p.thread_id = thread and p.user_id = caller
  returning p.* into me;

  if unread = 0 then
    update public.notifications as n
    set read_at = now()
    where n.user_id = caller and n.collapse_key = 'thread:' || thread::text and n.read_at is null;
  end if;
  perform realtime.send(
    jsonb_build_object('thread_id', thread, 'user_id', caller, 'last_read_message_id', read_to, 'read_at', me.last_read_at),
    'read', 'thread:' || thread::text, true);
  perform private.broadcast_chat_unread(caller);
  return me;
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
  me public.chat_participants;
begin
  if muted is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'muted'));
  end if;
  perform private.require_chat_participant(set_thread_muted.thread_id, caller);
  update public.chat_participants as p
  set muted = set_thread_muted.muted
  where p.thread_id = set_thread_muted.thread_id and p.user_id = caller
  returning p.* into me;
  return me;
end;
$$;
revoke execute on function private.set_thread_muted(uuid, boolean) from public;
grant execute on function private.set_thread_muted(uuid, boolean) to authenticated, service_role;

-- Blocks or unblocks a thread for the caller. While anyone blocks it, nobody sends in
-- it; the participants are told on the thread's topic.
create function private.set_thread_blocked(thread_id uuid, blocked boolean)
returns public.chat_participants
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  me public.chat_participants;
begin
  if blocked is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'blocked'));
  end if;
  perform private.require_chat_participant(set_thread_blocked.thread_id, caller);
  update public.chat_participants as p
  set blocked_at = case when set_thread_blocked.blocked then coalesce(p.blocked_at, now()) end
  where p.thread_id = set_thread_blocked.thread_id and p.user_id = caller
  returning p.* into me;
  perform realtime.send(
    jsonb_build_object('thread_id', me.thread_id, 'blocked', private.chat_thread_is_blocked(me.thread_id)),
    'thread_updated', 'thread:' || me.thread_id::text, true);
  return me;
end;
$$;
revoke execute on function private.set_thread_blocked(uuid, boolean) from public;
grant execute on function private.set_thread_blocked(uuid, boolean) to authenticated, service_role;

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
  join public.chat_participants as p on p.thread_id = m.thread_id and p.user_id = caller
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

-- The caller's inbox, read without a policy check per thread (see is_chat_participant).
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
begin
  if page_size is null or page_size not between 1 and 100 or (before_activity_at is null) <> (before_thread_id is null) then
    perform private.raise_error('chat_page_invalid');
  end if;
  return query
  select t.id, t.subject_type, t.booking_id, t.listing_id, t.customer_id, t.provider_id, t.activity_at,
         p.unread_count, p.last_read_message_id, p.muted,
         exists (select from public.chat_participants as b where b.thread_id = t.id and b.blocked_at is not null),
         (select to_jsonb(m) from public.chat_messages as m where m.id = t.last_message_id)
  from public.chat_participants as p
  join public.chat_threads as t on t.id = p.thread_id
  where p.user_id = auth.uid()
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
language sql
as $$
  select coalesce(c.unread_messages, 0), coalesce(c.unread_threads, 0)
  from (select) as one
  left join private.chat_unread_counters as c on c.user_id = (select auth.uid());
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

-- API: blocks or unblocks a thread (while blocked, nobody sends in it).
create function public.set_thread_blocked(thread_id uuid, blocked boolean)
returns public.chat_participants
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_thread_blocked(thread_id, blocked); $$;
revoke execute on function public.set_thread_blocked(uuid, boolean) from public, anon;
grant execute on function public.set_thread_blocked(uuid, boolean) to authenticated;

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

-- Notifications: the in-app inbox, per-user preferences, device tokens, the push/SMS
-- delivery queue, and the private Realtime topic `user:<id>` that carries them live.
--
-- Every context (bookings, payments, reviews, disputes, chat) notifies a user with ONE
-- call from SQL:
--
--   select private.notify(user_id, 'booking.confirmed', jsonb_build_object('booking_id', id),
--                         collapse_key => 'booking:' || id, critical => false);
--
-- from their security-definer functions and triggers (no API role may execute it).
--
-- - The app renders the inbox from template_key + params in the user's language; push
--   and SMS texts are rendered here, at delivery time, from private.notification_templates
--   (each context inserts its own templates, per locale, in its migration).
-- - A collapse_key ('thread:<id>') keeps one unread notification per key: the next one
--   updates it (occurrences + 1, new params, moved to the top) instead of piling up.
-- - The new or updated notification is broadcast on `user:<id>` (private channel) with
--   the unread count; marking notifications read broadcasts the new count, so badges
--   agree across a user's devices.
-- - Push is queued when the user has devices and allows it; the `push` edge function
--   claims the queue (for update skip locked, with a lease), sends through FCM, and
--   reports back with retries on exponential backoff. A critical notification whose push
--   cannot be delivered falls back to SMS where the market enables it; the
--   `notification-sms` function delivers those through the market's SMS provider. An
--   SMS costs money and must not arrive twice: start_sms_delivery records each provider
--   call before it is made, under a live lease, and a call that was never reported is
--   not repeated (one that timed out is retried with the same provider reference).
-- - Realtime authorization goes through ONE select and ONE insert policy on
--   realtime.messages; they ask private.can_receive_topic / private.can_send_topic,
--   which dispatch on the topic prefix through private.realtime_topic_kinds. Other
--   contexts add their topics (e.g. 'thread') by inserting a row there, never by adding
--   policies or replacing the dispatcher.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.notification_channel as enum ('in_app', 'push', 'sms');
create type public.device_platform as enum ('android', 'ios', 'web');
-- pending: waiting or leased to a worker (claim_id set); the rest are final.
create type private.delivery_status as enum ('pending', 'sent', 'failed', 'skipped');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Markets where SMS is affordable and push unreliable turn this on: a critical
-- notification (payment failed, booking cancelled) that push cannot deliver goes by SMS.
alter table public.markets
  add column sms_fallback_for_critical boolean not null default false;
comment on column public.markets.sms_fallback_for_critical is
  'Send critical notifications by SMS when push cannot deliver them (user preferences permitting).';

-- The in-app inbox. One row per notification; a collapse_key keeps one unread row per key.
create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  -- '<category>.<event>', e.g. 'booking.confirmed'; the category is what preferences name.
  template_key text not null,
  params jsonb not null default '{}',
  collapse_key text,
  -- Critical notifications ignore in-app and push opt-outs and may fall back to SMS.
  critical boolean not null default false,
  -- How many notifications this row stands for (collapsed ones included).
  occurrences integer not null default 1,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  -- When the latest collapsed notification arrived: the inbox is ordered by it.
  notified_at timestamptz not null default now(),
  constraint notification_template_key_format check (
    template_key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' and length(template_key) <= 100),
  constraint notification_params_is_object check (jsonb_typeof(params) = 'object'),
  constraint notification_params_is_small check (octet_length(params::text) <= 4000),
  constraint notification_collapse_key_length check (collapse_key is null or length(collapse_key) between 1 and 200),
  constraint notification_occurrences_positive check (occurrences > 0)
);
-- The inbox, newest first, and its keyset pagination.
create index notifications_user_feed on public.notifications (user_id, notified_at desc, id desc);
-- At most one unread notification per collapse key: private.notify upserts on it.
create unique index notifications_unread_collapse_key on public.notifications (user_id, collapse_key)
  where read_at is null;

alter table public.notifications enable row level security;
revoke all on table public.notifications from anon, authenticated;
grant select on table public.notifications to authenticated;
-- Read and unread only; everything else is written by private.notify.
grant update (read_at) on table public.notifications to authenticated;
grant all on table public.notifications to service_role;

-- Opt-outs per channel, for every category ('all') or one ('booking'). No row = allowed.
create table public.notification_preferences (
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  channel public.notification_channel not null,
  category text not null default 'all',
  enabled boolean not null,
  updated_at timestamptz not null default now(),
  constraint notification_preferences_pkey primary key (user_id, channel, category),
  constraint notification_preference_category_format check (category ~ '^[a-z][a-z0-9_]{0,49}$')
);

alter table public.notification_preferences enable row level security;
revoke all on table public.notification_preferences from anon, authenticated;
grant select, delete on table public.notification_preferences to authenticated;
grant insert (channel, category, enabled) on table public.notification_preferences to authenticated;
grant update (enabled) on table public.notification_preferences to authenticated;
grant all on table public.notification_preferences to service_role;

-- FCM registration tokens. A token belongs to one app install, hence to one user at a
-- time: registering it again (another account signs in on the device) moves it.
create table public.device_tokens (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  token text not null,
  platform public.device_platform not null,
  created_at timestamptz not null default now(),
  -- Refreshed whenever the app registers again (on every start, as FCM advises).
  last_seen_at timestamptz not null default now(),
  constraint device_tokens_token_key unique (token),
  constraint device_token_is_plausible check (length(token) between 16 and 4096 and token !~ '\s')
);
create index device_tokens_user_id on public.device_tokens (user_id, last_seen_at desc);

alter table public.device_tokens enable row level security;
revoke all on table public.device_tokens from anon, authenticated;
grant select, delete on table public.device_tokens to authenticated;
grant insert (token, platform) on table public.device_tokens to authenticated;
grant update (platform, last_seen_at) on table public.device_tokens to authenticated;
grant all on table public.device_tokens to service_role;

-- Unread counts for badges, kept exact by statement-level triggers on notifications in
-- the same transaction. Every screen shows the badge: a primary-key read stays O(1),
-- where counting over a partial index costs O(unread) and users who never open the
-- inbox pile up hundreds. Statement-level, so "mark all read" is one counter update;
-- a user's notifications arrive seconds apart at most, so the row is no hot spot.
-- Not exposed: read through public.unread_notification_count().
create table private.notification_counters (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  unread integer not null default 0,
  updated_at timestamptz not null default now(),
  constraint notification_unread_not_negative check (unread >= 0)
);
revoke all on table private.notification_counters from public, anon, authenticated;

-- The push/SMS queue. Workers lease rows (claim_id, next_attempt_at = lease end) with
-- `for update skip locked`, then report each outcome through private.complete_deliveries.
create table private.notification_deliveries (
  id bigint generated always as identity primary key,
  notification_id uuid not null references public.notifications (id) on delete cascade,
  channel public.notification_channel not null,
  status private.delivery_status not null default 'pending',
  attempts integer not null default 0,
  max_attempts integer not null default 8,
  -- When a pending row may be claimed: now, after a backoff, or when a lease runs out.
  next_attempt_at timestamptz not null default now(),
  -- Set while a worker holds the row; a report must quote it.
  claim_id uuid,
  claimed_at timestamptz,
  -- SMS: when the worker began the provider call of the current attempt
  -- (start_sms_delivery); cleared by its report. Still set when the lease runs out means
  -- the provider may have the message: it is not sent again.
  sending_at timestamptz,
  sent_at timestamptz,
  -- The provider's id for the message (SMS), for support and reconciliation.
  provider_message_id text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint delivery_channel_is_external check (channel in ('push', 'sms')),
  constraint delivery_attempts_in_range check (attempts >= 0 and max_attempts between 1 and 50 and attempts <= max_attempts),
  constraint delivery_claimed_only_while_pending check (claim_id is null or status = 'pending'),
  constraint delivery_sending_only_while_claimed check (sending_at is null or claim_id is not null),
  constraint delivery_provider_message_id_length check (provider_message_id is null or length(provider_message_id) between 1 and 200),
  constraint delivery_sent_has_time check ((status = 'sent') = (sent_at is not null)),
  constraint delivery_error_length check (last_error is null or length(last_error) <= 500)
);
create index notification_deliveries_notification_id on private.notification_deliveries (notification_id);
-- What the workers scan.
create index notification_deliveries_due on private.notification_deliveries (channel, next_attempt_at)
  where status = 'pending';
-- One waiting delivery per notification and channel: a collapsed notification that is
-- still queued is sent once, with its latest content.
create unique index notification_deliveries_one_waiting on private.notification_deliveries (notification_id, channel)
  where status = 'pending' and claim_id is null;
revoke all on table private.notification_deliveries from public, anon, authenticated;

-- Push and SMS texts per template and locale. '{name}' placeholders take the
-- notification's params; '{app_name}' is the market's app name. Contexts insert theirs.
create table private.notification_templates (
  template_key text not null,
  locale text not null,
  title text not null,
  body text not null,
  -- The SMS text when it should differ from "title: body" (SMS is short and paid per part).
  sms_body text,
  constraint notification_templates_pkey primary key (template_key, locale),
  constraint notification_template_key_format check (template_key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  constraint notification_template_locale_is_bcp47 check (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  constraint notification_template_texts_present check (length(title) between 1 and 200 and length(body) between 1 and 1000)
);
revoke all on table private.notification_templates from public, anon, authenticated;

-- Used when a notification's own template has no text in any fallback locale.
insert into private.notification_templates (template_key, locale, title, body) values
  ('system.generic', 'en', '{app_name}', 'You have a new notification.');

-- Realtime topic kinds: '<prefix>:<rest>' → who may receive (and send). Each check is a
-- '<schema>.<function>' taking (topic text) and returning boolean, executed as the
-- subscriber; can_send null means only the database sends on those topics. Contexts
-- register their kinds here. (Names, not regprocedure: pg_upgrade cannot carry reg* columns.)
create table private.realtime_topic_kinds (
  prefix text primary key,
  can_receive text not null,
  can_send text,
  constraint realtime_topic_prefix_is_slug check (prefix ~ '^[a-z][a-z0-9_]{0,30}$'),
  constraint realtime_topic_checks_are_qualified_names check (
    can_receive ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$' and (can_send is null or can_send ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$'))
);
revoke all on table private.realtime_topic_kinds from public, anon, authenticated;
-- The dispatchers run as the subscriber (security invoker) and read it.
grant select on table private.realtime_topic_kinds to authenticated, service_role;

create trigger notification_preferences_touch_updated_at before update on public.notification_preferences
  for each row execute function private.touch_updated_at();
create trigger notification_deliveries_touch_updated_at before update on private.notification_deliveries
  for each row execute function private.touch_updated_at();

insert into private.error_catalogue (code, sqlstate, message) values
  ('notification_template_invalid', '22023', 'A notification template key looks like ''category.event''.'),
  ('notification_params_invalid', '22023', 'Notification parameters must be a JSON object of at most 4000 bytes.'),
  ('notification_collapse_key_invalid', '22023', 'A collapse key has 1 to 200 characters.'),
  ('notification_recipient_unknown', 'PT404', 'There is no user to notify.'),
  ('notification_not_found', 'PT404', 'There is no such notification.'),
  ('notification_page_invalid', '22023', 'A page has 1 to 100 notifications and a cursor of notified_at and id.'),
  ('device_token_invalid', '22023', 'This is not a device token.'),
  ('delivery_batch_invalid', '22023', 'Claim between 1 and 500 deliveries with a lease of 10 to 3600 seconds.'),
  ('delivery_result_invalid', '22023', 'A delivery result names delivery_id, claim_id and an outcome (sent, retry, failed, skipped).'),
  ('realtime_topic_check_invalid', '22023', 'A Realtime topic check is an existing function (topic text) returning boolean.');

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- Whether the user lets a channel carry a category: the category's row, else the
-- 'all' row, else yes. The helpers private.notify calls are PL/pgSQL, not SQL: a SQL
-- function with SET search_path is not inlined and is planned again on every call, a
-- PL/pgSQL one keeps its plans for the session (every chat message calls notify).
create function private.notification_channel_enabled(recipient uuid, via public.notification_channel, of_category text)
returns boolean
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  enabled boolean;
begin
  select p.enabled into enabled
  from public.notification_preferences as p
  where p.user_id = recipient and p.channel = via and p.category in (of_category, 'all')
  order by (p.category = 'all')
  limit 1;
  return coalesce(enabled, true);
end;
$$;
revoke execute on function private.notification_channel_enabled(uuid, public.notification_channel, text) from public;

-- Fills '{name}' placeholders from params in one pass (a value that itself contains
-- '{other}' stays literal); unknown placeholders become empty.
create function private.render_template(template text, params jsonb)
returns text
immutable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  pattern constant text := '\{[a-z_][a-z0-9_]*\}';
  rest text := template;
  rendered text := '';
  position integer;
  placeholder text;
begin
  if template is null then
    return null;
  end if;
  loop
    position := regexp_instr(rest, pattern);
    exit when position = 0;
    placeholder := regexp_substr(rest, pattern);
    rendered := rendered || left(rest, position - 1)
                || coalesce(params ->> substr(placeholder, 2, length(placeholder) - 2), '');
    rest := substr(rest, position + length(placeholder));
  end loop;
  return rendered || rest;
end;
$$;
revoke execute on function private.render_template(text, jsonb) from public;

-- Whether an outbox notice still has someone to tell: the user exists and is not being
-- deleted right now (only a delete locks a profile against KEY SHARE). Outbox senders
-- skip the others instead of raising, so one gone user never holds up everyone's
-- notifications, and never wait on a delete that cascades towards rows they hold.
create function private.recipient_present(recipient uuid)
returns boolean
volatile
security definer
set search_path = ''
language sql
as $$
  select exists (select from public.profiles as p where p.id = recipient for key share skip locked);
$$;
revoke execute on function private.recipient_present(uuid) from public;

-- A private broadcast on the user's own topic. Called from security-definer code only:
-- it inserts into realtime.messages as the database owner, which no client can.
create function private.broadcast_to_user(recipient uuid, event text, payload jsonb)
returns void
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  perform realtime.send(payload, event, 'user:' || recipient::text, true);
end;
$$;
revoke execute on function private.broadcast_to_user(uuid, text, jsonb) from public;

-- Keeps private.notification_counters exact: one statement-level trigger per operation,
-- reading the transition tables, so "mark all read" over 500 rows is one counter update.
-- A decrease (notifications read) is broadcast so every device's badge follows.
create function private.count_unread_notifications()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  changed record;
begin
  if tg_op = 'INSERT' then
    insert into private.notification_counters as c (user_id, unread)
    select n.user_id, count(*) from new_rows as n where n.read_at is null group by n.user_id order by n.user_id
    on conflict (user_id) do update set unread = c.unread + excluded.unread, updated_at = now();
  elsif tg_op = 'DELETE' then
    update private.notification_counters as c
    set unread = greatest(c.unread - d.gone, 0), updated_at = now()
    from (select o.user_id, count(*) as gone from old_rows as o where o.read_at is null group by o.user_id) as d
    where c.user_id = d.user_id;
  else
    -- Rows that were unread keep a counter row, so a decrease always finds one.
    for changed in
      with delta as (
        select x.user_id, sum(x.change)::integer as change
        from (select n.user_id, 1 as change from new_rows as n where n.read_at is null
              union all
              select o.user_id, -1 from old_rows as o where o.read_at is null) as x
        group by x.user_id
        having sum(x.change) <> 0
      )
      update private.notification_counters as c
      set unread = greatest(c.unread + delta.change, 0), updated_at = now()
      from delta
      where c.user_id = delta.user_id
      returning c.user_id, c.unread
    loop
      perform private.broadcast_to_user(changed.user_id, 'unread_count', jsonb_build_object('unread_count', changed.unread));
    end loop;
    -- Read notifications made unread again by a user who never had an unread one.
    insert into private.notification_counters as c (user_id, unread)
    select n.user_id, count(*)
    from new_rows as n
    join old_rows as o on o.id = n.id
    where n.read_at is null and o.read_at is not null
      and not exists (select from private.notification_counters as e where e.user_id = n.user_id)
    group by n.user_id
    on conflict (user_id) do update set unread = c.unread + excluded.unread, updated_at = now();
  end if;
  return null;
end;
$$;
revoke execute on function private.count_unread_notifications() from public;

create trigger notifications_count_inserted
  after insert on public.notifications
  referencing new table as new_rows
  for each statement execute function private.count_unread_notifications();
create trigger notifications_count_updated
  after update on public.notifications
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.count_unread_notifications();
create trigger notifications_count_deleted
  after delete on public.notifications
  referencing old table as old_rows
  for each statement execute function private.count_unread_notifications();

-- Queues a notification for push or SMS unless one is already waiting for it.
create function private.queue_delivery(notification uuid, via public.notification_channel)
returns void
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  insert into private.notification_deliveries (notification_id, channel)
  values (notification, via)
  on conflict (notification_id, channel) where status = 'pending' and claim_id is null do nothing;
end;
$$;
revoke execute on function private.queue_delivery(uuid, public.notification_channel) from public;

-- SMS for a critical notification that push cannot carry: only while it is unread,
-- where the market enables it, the user has a phone and has not turned SMS off.
create function private.queue_sms_fallback(notification uuid)
returns boolean
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  eligible boolean;
begin
  select n.critical and n.read_at is null and a.phone is not null and m.sms_fallback_for_critical
         and private.notification_channel_enabled(n.user_id, 'sms', split_part(n.template_key, '.', 1))
  into eligible
  from public.notifications as n
  join public.accounts as a on a.id = n.user_id
  join public.profiles as p on p.id = n.user_id
  join public.markets as m on m.code = p.market_code
  where n.id = notification;
  if coalesce(eligible, false) then
    perform private.queue_delivery(notification, 'sms');
    return true;
  end if;
  return false;
end;
$$;
revoke execute on function private.queue_sms_fallback(uuid) from public;

-- Trigger: a push that ends failed or skipped falls back to SMS (see queue_sms_fallback).
create function private.fall_back_to_sms()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform private.queue_sms_fallback(new.notification_id);
  return null;
end;
$$;
revoke execute on function private.fall_back_to_sms() from public;

create trigger notification_deliveries_fall_back_to_sms
  after update of status on private.notification_deliveries
  for each row
  when (new.channel = 'push' and old.status = 'pending' and new.status in ('failed', 'skipped'))
  execute function private.fall_back_to_sms();

-- Exponential backoff with ±20 % jitter: 30 s, 1 min, 2 min … capped at an hour, never
-- sooner than the provider's Retry-After (itself capped at a day).
create function private.delivery_backoff(attempts integer, retry_after_seconds integer default null)
returns interval
volatile
security invoker
set search_path = ''
language sql
as $$
  select make_interval(secs => greatest(
    least(30 * power(2, greatest(attempts, 1) - 1), 3600) * (0.8 + random() * 0.4),
    least(greatest(coalesce(retry_after_seconds, 0), 0), 86400)));
$$;
revoke execute on function private.delivery_backoff(integer, integer) from public;

-- Leases due deliveries of one channel to the calling worker. Rows another worker is
-- leasing are skipped, not waited for; a lease that runs out makes its row due again.
create function private.lease_deliveries(via public.notification_channel, batch_size integer, lease_seconds integer)
returns setof private.notification_deliveries
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  if batch_size is null or batch_size not between 1 and 500 or lease_seconds is null or lease_seconds not between 10 and 3600 then
    perform private.raise_error('delivery_batch_invalid', jsonb_build_object('batch_size', batch_size, 'lease_seconds', lease_seconds));
  end if;

  -- An SMS whose provider call began but was never reported (the worker stopped in the
  -- middle): the provider may have sent it, so it is not sent again.
  update private.notification_deliveries as d
  set status = 'failed', claim_id = null, sending_at = null,
      last_error = 'the worker stopped during the provider call: not sent again, so it cannot arrive twice'
  where d.id in (
    select q.id
    from private.notification_deliveries as q
    where q.channel = via and q.status = 'pending' and q.next_attempt_at <= now() and q.sending_at is not null
    for update skip locked);

  -- Read in the app before we got to it: nothing to push.
  update private.notification_deliveries as d
  set status = 'skipped', claim_id = null, last_error = 'read before delivery'
  where d.id in (
    select q.id
    from private.notification_deliveries as q
    join public.notifications as n on n.id = q.notification_id
    where q.channel = via and q.status = 'pending' and q.next_attempt_at <= now() and n.read_at is not null
    for update of q skip locked);

  -- A worker died holding the last attempt: give up on it.
  update private.notification_deliveries as d
  set status = 'failed', claim_id = null, sending_at = null, last_error = 'no result was reported for the last attempt'
  where d.id in (
    select q.id
    from private.notification_deliveries as q
    where q.channel = via and q.status = 'pending' and q.next_attempt_at <= now() and q.attempts >= q.max_attempts
    for update skip locked);

  return query
  with due as (
    select q.id
    from private.notification_deliveries as q
    where q.channel = via and q.status = 'pending' and q.next_attempt_at <= now() and q.attempts < q.max_attempts
    order by q.next_attempt_at, q.id
    limit batch_size
    for update skip locked
  ), leased as (
    update private.notification_deliveries as d
    set claim_id = gen_random_uuid(),
        claimed_at = now(),
        sending_at = null,
        attempts = d.attempts + 1,
        next_attempt_at = now() + make_interval(secs => lease_seconds)
    from due
    where d.id = due.id
    returning d.*
  )
  select * from leased;
end;
$$;
revoke execute on function private.lease_deliveries(public.notification_channel, integer, integer) from public;

-- Push/SMS text for a notification in the user's language: its own template in the
-- user's locale, its language, the market's default, English; else system.generic.
create function private.notification_text(notification public.notifications, user_locale text, market public.markets)
returns table (title text, body text, sms_body text)
stable
security invoker
set search_path = ''
language sql
as $$
  with chosen as (
    select t.*
    from private.notification_templates as t
    cross join lateral (select array[user_locale, split_part(user_locale, '-', 1), market.default_locale, 'en'] as locales) as l
    where t.template_key in (notification.template_key, 'system.generic')
      and t.locale = any (l.locales)
    order by (t.template_key = notification.template_key) desc, array_position(l.locales, t.locale)
    limit 1
  ), vars as (
    select jsonb_build_object('app_name', market.name) || notification.params as params
  )
  select private.render_template(c.title, v.params),
         private.render_template(c.body, v.params),
         coalesce(private.render_template(c.sms_body, v.params),
                  private.render_template(c.title, v.params) || ': ' || private.render_template(c.body, v.params))
  from chosen as c cross join vars as v;
$$;
revoke execute on function private.notification_text(public.notifications, text, public.markets) from public;

-- Realtime: may the subscriber receive on their own user topic.
create function private.can_receive_user_topic(topic text)
returns boolean
stable
security invoker
set search_path = ''
language sql
as $$
  select coalesce(topic = 'user:' || (select auth.uid())::text, false);
$$;
revoke execute on function private.can_receive_user_topic(text) from public;
grant execute on function private.can_receive_user_topic(text) to authenticated, service_role;

-- Trigger: a registered check must exist, take (text) and return boolean.
create function private.validate_realtime_topic_kind()
returns trigger
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  name text;
begin
  foreach name in array array_remove(array[new.can_receive, new.can_send], null) loop
    if not exists (
      select from pg_catalog.pg_proc as p
      where p.oid = to_regprocedure(name || '(text)') and p.prorettype = 'pg_catalog.bool'::pg_catalog.regtype
    ) then
      perform private.raise_error('realtime_topic_check_invalid', jsonb_build_object('function', name));
    end if;
  end loop;
  return new;
end;
$$;
revoke execute on function private.validate_realtime_topic_kind() from public;

create trigger realtime_topic_kinds_validate
  before insert or update on private.realtime_topic_kinds
  for each row execute function private.validate_realtime_topic_kind();

insert into private.realtime_topic_kinds (prefix, can_receive, can_send)
values ('user', 'private.can_receive_user_topic', null);

-- Runs a topic kind's check as the caller. The function name comes from the registry,
-- which only migrations write, and is quoted: no caller text reaches the SQL.
create function private.check_topic(topic text, sending boolean)
returns boolean
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  check_function text;
  allowed boolean;
begin
  if topic is null or position(':' in topic) < 2 then
    return false;
  end if;
  select case when sending then k.can_send else k.can_receive end
  into check_function
  from private.realtime_topic_kinds as k
  where k.prefix = split_part(topic, ':', 1);
  if check_function is null then
    return false;
  end if;
  execute format('select %I.%I($1)', split_part(check_function, '.', 1), split_part(check_function, '.', 2))
  into allowed using topic;
  return coalesce(allowed, false);
end;
$$;
revoke execute on function private.check_topic(text, boolean) from public;
grant execute on function private.check_topic(text, boolean) to authenticated, service_role;

-- Whether the caller may receive broadcasts and presence on a topic (SELECT policy).
create function private.can_receive_topic(topic text)
returns boolean
stable
security invoker
set search_path = ''
language sql
as $$
  select private.check_topic(topic, false);
$$;
revoke execute on function private.can_receive_topic(text) from public;
grant execute on function private.can_receive_topic(text) to authenticated, service_role;

-- Whether the caller may broadcast or track presence on a topic (INSERT policy).
create function private.can_send_topic(topic text)
returns boolean
stable
security invoker
set search_path = ''
language sql
as $$
  select private.check_topic(topic, true);
$$;
revoke execute on function private.can_send_topic(text) from public;
grant execute on function private.can_send_topic(text) to authenticated, service_role;

-- Removes a device token from whoever else holds it, so the caller can register it:
-- the install now belongs to the account signed in on it. Only the move needs to bypass
-- RLS; the caller's own insert goes through it.
create function private.release_device_token(token text)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
begin
  if token is null or length(token) not between 16 and 4096 or token ~ '\s' then
    perform private.raise_error('device_token_invalid');
  end if;
  delete from public.device_tokens as d
  where d.token = release_device_token.token and d.user_id <> caller;
end;
$$;
revoke execute on function private.release_device_token(text) from public;
grant execute on function private.release_device_token(text) to authenticated, service_role;

-- The caller's unread count (the counter table is not exposed).
create function private.unread_notification_count()
returns integer
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  unread integer;
begin
  select c.unread into unread from private.notification_counters as c where c.user_id = auth.uid();
  return coalesce(unread, 0);
end;
$$;
revoke execute on function private.unread_notification_count() from public;
grant execute on function private.unread_notification_count() to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- private.notify: the one way every context notifies a user
-- ---------------------------------------------------------------------------
-- Returns the notification's id, or null when the user turned the category off in the
-- app (or user_id is null). Critical notifications ignore in-app and push opt-outs (SMS
-- opt-outs stand).
-- Callers: only the database owner's code (security-definer functions and triggers of
-- other contexts) and the service role; no API role may execute it.
create function private.notify(
  user_id uuid,
  template_key text,
  params jsonb default '{}',
  collapse_key text default null,
  critical boolean default false)
returns uuid
volatile
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
declare
  recipient uuid := notify.user_id;
  template text := notify.template_key;
  values_ jsonb := coalesce(notify.params, '{}'::jsonb);
  collapse text := nullif(btrim(notify.collapse_key), '');
  is_critical boolean := coalesce(notify.critical, false);
  category text;
  result public.notifications;
  unread integer;
begin
  if template is null or template !~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' or length(template) > 100 then
    perform private.raise_error('notification_template_invalid', jsonb_build_object('template_key', template));
  end if;
  if jsonb_typeof(values_) <> 'object' or octet_length(values_::text) > 4000 then
    perform private.raise_error('notification_params_invalid');
  end if;
  if length(collapse) > 200 then
    perform private.raise_error('notification_collapse_key_invalid');
  end if;
  -- Nobody to tell (an optional party, e.g. a payment without payee): nothing to do.
  if recipient is null then
    return null;
  end if;
  if not exists (select from public.profiles as p where p.id = recipient) then
    perform private.raise_error('notification_recipient_unknown', jsonb_build_object('user_id', recipient));
  end if;
  category := split_part(template, '.', 1);

  if not is_critical and not private.notification_channel_enabled(recipient, 'in_app', category) then
    return null;
  end if;

  insert into public.notifications as n (user_id, template_key, params, collapse_key, critical)
  values (recipient, template, values_, collapse, is_critical)
  on conflict (user_id, collapse_key) where read_at is null
  do update set template_key = excluded.template_key,
                params = excluded.params,
                critical = n.critical or excluded.critical,
                occurrences = n.occurrences + 1,
                notified_at = now()
  returning n.* into result;

  select c.unread into unread from private.notification_counters as c where c.user_id = recipient;
  perform private.broadcast_to_user(recipient, 'notification',
    jsonb_build_object('notification', to_jsonb(result), 'unread_count', coalesce(unread, 0)));

  if (is_critical or private.notification_channel_enabled(recipient, 'push', category))
     and exists (select from public.device_tokens as d where d.user_id = recipient) then
    perform private.queue_delivery(result.id, 'push');
  elsif is_critical then
    perform private.queue_sms_fallback(result.id);
  end if;
  return result.id;
end;
$$;
revoke execute on function private.notify(uuid, text, jsonb, text, boolean) from public;
grant execute on function private.notify(uuid, text, jsonb, text, boolean) to service_role;

-- ---------------------------------------------------------------------------
-- Workers (service role): claim, report, prune
-- ---------------------------------------------------------------------------

-- The push function's batch: leased deliveries with the text to show, in the user's
-- language, and the user's device tokens. Report each through complete_deliveries.
create function private.claim_push_deliveries(batch_size integer default 100, lease_seconds integer default 300)
returns table (
  delivery_id bigint,
  claim_id uuid,
  attempt integer,
  notification_id uuid,
  user_id uuid,
  template_key text,
  params jsonb,
  collapse_key text,
  critical boolean,
  locale text,
  title text,
  body text,
  tokens jsonb
)
volatile
security definer
set search_path = ''
language sql
as $$
  select d.id, d.claim_id, d.attempts, n.id, n.user_id, n.template_key, n.params, n.collapse_key, n.critical,
         a.locale, t.title, t.body,
         coalesce((select jsonb_agg(jsonb_build_object('token', dt.token, 'platform', dt.platform) order by dt.last_seen_at desc)
                   from public.device_tokens as dt where dt.user_id = n.user_id), '[]'::jsonb)
  from private.lease_deliveries('push', batch_size, lease_seconds) as d
  join public.notifications as n on n.id = d.notification_id
  join public.accounts as a on a.id = n.user_id
  join public.profiles as p on p.id = n.user_id
  join public.markets as m on m.code = p.market_code
  left join lateral private.notification_text(n, a.locale, m) as t on true
  order by d.id;
$$;
revoke execute on function private.claim_push_deliveries(integer, integer) from public;
grant execute on function private.claim_push_deliveries(integer, integer) to service_role;

-- The SMS worker's batch (the notification-sms function): leased deliveries with the
-- phone number, the user's market and the text in their language.
create function private.claim_sms_deliveries(batch_size integer default 50, lease_seconds integer default 300)
returns table (
  delivery_id bigint,
  claim_id uuid,
  attempt integer,
  notification_id uuid,
  user_id uuid,
  market_code text,
  phone text,
  locale text,
  text text
)
volatile
security definer
set search_path = ''
language sql
as $$
  select d.id, d.claim_id, d.attempts, n.id, n.user_id, m.code, a.phone, a.locale, t.sms_body
  from private.lease_deliveries('sms', batch_size, lease_seconds) as d
  join public.notifications as n on n.id = d.notification_id
  join public.accounts as a on a.id = n.user_id
  join public.profiles as p on p.id = n.user_id
  join public.markets as m on m.code = p.market_code
  left join lateral private.notification_text(n, a.locale, m) as t on true
  order by d.id;
$$;
revoke execute on function private.claim_sms_deliveries(integer, integer) from public;
grant execute on function private.claim_sms_deliveries(integer, integer) to service_role;

-- The SMS worker, right before it calls the provider for a delivery it leased: marks the
-- attempt as started, or answers false when the lease is no longer the caller's (lost,
-- or too close to running out for the call to finish within it). The worker sends only
-- on true; a started attempt that is never reported is not sent again (lease_deliveries
-- fails it), so a delivery reaches the provider at most once however many workers run.
create function private.start_sms_delivery(delivery_id bigint, claim_id uuid)
returns boolean
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  update private.notification_deliveries as d
  set sending_at = now()
  where d.id = start_sms_delivery.delivery_id
    and d.claim_id = start_sms_delivery.claim_id
    and d.channel = 'sms' and d.status = 'pending' and d.sending_at is null
    -- The provider call (seconds at most) must end well inside the lease.
    and d.next_attempt_at > now() + least(interval '30 seconds', (d.next_attempt_at - d.claimed_at) / 2);
  return found;
end;
$$;
revoke execute on function private.start_sms_delivery(bigint, uuid) from public;
grant execute on function private.start_sms_delivery(bigint, uuid) to service_role;

-- Reports a batch of outcomes: [{delivery_id, claim_id, outcome, error?, retry_after_seconds?,
-- dead_tokens?, provider_message_id?}]. outcome: sent | retry (backoff, or failed once
-- attempts run out) | failed | skipped. dead_tokens are removed from device_tokens
-- whoever holds them; provider_message_id is kept with a sent delivery.
-- A result whose lease was lost (expired and re-claimed) changes nothing: 'claim_lost'.
create function private.complete_deliveries(results jsonb)
returns table (delivery_id bigint, status text, next_attempt_at timestamptz)
volatile
security definer
set search_path = ''
language plpgsql
as $$
#variable_conflict use_column
declare
  item jsonb;
  outcome text;
  error text;
  delivery private.notification_deliveries;
  dead text[];
begin
  if jsonb_typeof(results) is distinct from 'array' then
    perform private.raise_error('delivery_result_invalid');
  end if;
  for item in select e.value from jsonb_array_elements(results) as e loop
    outcome := item ->> 'outcome';
    if jsonb_typeof(item) <> 'object' or coalesce(jsonb_typeof(item -> 'delivery_id'), '') not in ('number', 'string')
       or jsonb_typeof(item -> 'claim_id') is distinct from 'string'
       or outcome is null or outcome not in ('sent', 'retry', 'failed', 'skipped')
       or coalesce(jsonb_typeof(item -> 'dead_tokens'), 'array') <> 'array'
       or coalesce(jsonb_typeof(item -> 'provider_message_id'), 'string') <> 'string'
       or length(item ->> 'provider_message_id') not between 1 and 200 then
      perform private.raise_error('delivery_result_invalid', jsonb_build_object('result', item));
    end if;
    error := left(nullif(btrim(item ->> 'error'), ''), 500);

    dead := array(select jsonb_array_elements_text(coalesce(item -> 'dead_tokens', '[]'::jsonb)));
    if cardinality(dead) > 0 then
      delete from public.device_tokens as t where t.token = any (dead);
    end if;

    select d.* into delivery
    from private.notification_deliveries as d
    where d.id = (item ->> 'delivery_id')::bigint
      and d.claim_id = (item ->> 'claim_id')::uuid
      and d.status = 'pending'
    for update;
    if not found then
      delivery_id := (item ->> 'delivery_id')::bigint;
      status := 'claim_lost';
      next_attempt_at := null;
      return next;
      continue;
    end if;

    if outcome = 'retry' and delivery.attempts >= delivery.max_attempts then
      outcome := 'failed';
      error := coalesce(error || ' ', '') || '(no attempts left)';
    end if;

    if outcome = 'retry' then
      -- A newer copy queued meanwhile (the notification collapsed): this row sends the
      -- latest content anyway, so drop the copy rather than send twice.
      delete from private.notification_deliveries as d
      where d.notification_id = delivery.notification_id and d.channel = delivery.channel
        and d.status = 'pending' and d.claim_id is null and d.id <> delivery.id;
      update private.notification_deliveries as d
      set claim_id = null,
          sending_at = null,
          next_attempt_at = now() + private.delivery_backoff(delivery.attempts, (item ->> 'retry_after_seconds')::integer),
          last_error = error
      where d.id = delivery.id
      returning d.* into delivery;
    else
      update private.notification_deliveries as d
      set status = outcome::private.delivery_status,
          claim_id = null,
          sending_at = null,
          sent_at = case when outcome = 'sent' then now() end,
          provider_message_id = case when outcome = 'sent' then item ->> 'provider_message_id' end,
          last_error = error
      where d.id = delivery.id
      returning d.* into delivery;
    end if;

    delivery_id := delivery.id;
    status := delivery.status::text;
    next_attempt_at := case when delivery.status = 'pending' then delivery.next_attempt_at end;
    return next;
  end loop;
end;
$$;
revoke execute on function private.complete_deliveries(jsonb) from public;
grant execute on function private.complete_deliveries(jsonb) to service_role;

-- Housekeeping for a daily job: drops notifications read long ago. Returns how many.
create function private.prune_notifications(read_before interval default interval '90 days')
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  removed integer;
begin
  delete from public.notifications as n where n.read_at < now() - read_before;
  get diagnostics removed = row_count;
  return removed;
end;
$$;
revoke execute on function private.prune_notifications(interval) from public;
grant execute on function private.prune_notifications(interval) to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- A user sees their own notifications.
create policy notifications_select_owner on public.notifications
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A user marks their own notifications read or unread (the column granted above).
create policy notifications_update_owner on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- A user sees their own preferences.
create policy notification_preferences_select_owner on public.notification_preferences
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A user sets their own preferences.
create policy notification_preferences_insert_owner on public.notification_preferences
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- A user changes their own preferences.
create policy notification_preferences_update_owner on public.notification_preferences
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- A user resets their own preferences.
create policy notification_preferences_delete_owner on public.notification_preferences
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- A user sees their own devices.
create policy device_tokens_select_owner on public.device_tokens
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A user registers devices for themselves.
create policy device_tokens_insert_owner on public.device_tokens
  for insert to authenticated
  with check (user_id = (select auth.uid()));

-- A user refreshes their own devices.
create policy device_tokens_update_owner on public.device_tokens
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- A user unregisters their own devices.
create policy device_tokens_delete_owner on public.device_tokens
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- Suspended users write nothing (tests/identity/suspension.test.ts).
create policy notifications_update_active_users on public.notifications
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy notification_preferences_insert_active_users on public.notification_preferences
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy notification_preferences_update_active_users on public.notification_preferences
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy notification_preferences_delete_active_users on public.notification_preferences
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));
create policy device_tokens_insert_active_users on public.device_tokens
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy device_tokens_update_active_users on public.device_tokens
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy device_tokens_delete_active_users on public.device_tokens
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));

-- Realtime private channels. Realtime inserts probe rows and selects them back as the
-- subscriber: this SELECT policy decides who may receive on a topic. Every topic kind
-- goes through the dispatcher, so there stays one policy per role and command.
create policy messages_select_topic_members on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension in ('broadcast', 'presence')
    and realtime.messages.topic = (select realtime.topic())
    and (select private.can_receive_topic(realtime.topic()))
  );

-- Who may broadcast or track presence from a client: the INSERT policy. Topic kinds
-- without a can_send check (user:<id>) are written by the database only.
create policy messages_insert_topic_members on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension in ('broadcast', 'presence')
    and realtime.messages.topic = (select realtime.topic())
    and (select private.can_send_topic(realtime.topic()))
  );

-- ---------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------

-- API: the caller's inbox, newest first. Keyset pagination: pass the last row's
-- notified_at and id to get the next page.
create function public.list_notifications(
  page_size integer default 20,
  before_notified_at timestamptz default null,
  before_id uuid default null,
  unread_only boolean default false)
returns setof public.notifications
stable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  if page_size is null or page_size not between 1 and 100 or (before_notified_at is null) <> (before_id is null) then
    perform private.raise_error('notification_page_invalid');
  end if;
  return query
  select n.*
  from public.notifications as n
  where n.user_id = (select auth.uid())
    and (before_notified_at is null or (n.notified_at, n.id) < (before_notified_at, before_id))
    and (not coalesce(unread_only, false) or n.read_at is null)
  order by n.notified_at desc, n.id desc
  limit page_size;
end;
$$;
revoke execute on function public.list_notifications(integer, timestamptz, uuid, boolean) from public, anon;
grant execute on function public.list_notifications(integer, timestamptz, uuid, boolean) to authenticated, service_role;

-- API: the caller's unread count, for the badge on every screen.
create function public.unread_notification_count()
returns integer
stable
security invoker
set search_path = ''
language sql
as $$ select private.unread_notification_count(); $$;
revoke execute on function public.unread_notification_count() from public, anon;
grant execute on function public.unread_notification_count() to authenticated, service_role;

-- API: marks one of the caller's notifications read; returns it.
create function public.mark_notification_read(notification_id uuid)
returns public.notifications
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.notifications;
begin
  perform private.require_active_user();
  update public.notifications as n
  set read_at = now()
  where n.id = mark_notification_read.notification_id and n.read_at is null
  returning n.* into result;
  if not found then
    select n.* into result from public.notifications as n where n.id = mark_notification_read.notification_id;
    if not found then
      perform private.raise_error('notification_not_found', jsonb_build_object('notification_id', notification_id));
    end if;
  end if;
  return result;
end;
$$;
revoke execute on function public.mark_notification_read(uuid) from public, anon;
grant execute on function public.mark_notification_read(uuid) to authenticated;

-- API: marks the caller's unread notifications read — those that arrived up to `up_to`
-- (the moment the app showed the list) or all of them. Returns how many.
create function public.mark_all_notifications_read(up_to timestamptz default null)
returns integer
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  marked integer;
begin
  perform private.require_active_user();
  update public.notifications as n
  set read_at = now()
  where n.user_id = (select auth.uid()) and n.read_at is null
    and (up_to is null or n.notified_at <= up_to);
  get diagnostics marked = row_count;
  return marked;
end;
$$;
revoke execute on function public.mark_all_notifications_read(timestamptz) from public, anon;
grant execute on function public.mark_all_notifications_read(timestamptz) to authenticated;

-- API: the app registers its FCM token on every start (and when FCM rotates it).
create function public.register_device_token(token text, platform public.device_platform)
returns public.device_tokens
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.device_tokens;
begin
  perform private.release_device_token(token);
  insert into public.device_tokens as d (token, platform)
  values (register_device_token.token, register_device_token.platform)
  on conflict on constraint device_tokens_token_key
  do update set platform = excluded.platform, last_seen_at = now()
  returning d.* into result;
  -- Ten devices per user is plenty; the least recently seen go.
  delete from public.device_tokens as d
  where d.user_id = result.user_id
    and d.id not in (select o.id from public.device_tokens as o where o.user_id = result.user_id
                     order by o.last_seen_at desc, o.id desc limit 10);
  return result;
end;
$$;
revoke execute on function public.register_device_token(text, public.device_platform) from public, anon;
grant execute on function public.register_device_token(text, public.device_platform) to authenticated;

-- API: the app drops its token on sign-out. Returns whether the caller held it.
create function public.unregister_device_token(token text)
returns boolean
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  perform private.require_active_user();
  delete from public.device_tokens as d
  where d.token = unregister_device_token.token and d.user_id = (select auth.uid());
  return found;
end;
$$;
revoke execute on function public.unregister_device_token(text) from public, anon;
grant execute on function public.unregister_device_token(text) to authenticated;

-- API: turns a channel on or off for every category ('all') or one category.
create function public.set_notification_preference(
  channel public.notification_channel,
  enabled boolean,
  category text default 'all')
returns public.notification_preferences
volatile
security invoker
set search_path = ''
language plpgsql
as $$
declare
  result public.notification_preferences;
begin
  perform private.require_active_user();
  if enabled is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'enabled'));
  end if;
  insert into public.notification_preferences as p (channel, category, enabled)
  values (set_notification_preference.channel, coalesce(set_notification_preference.category, 'all'),
          set_notification_preference.enabled)
  on conflict on constraint notification_preferences_pkey
  do update set enabled = excluded.enabled
  returning p.* into result;
  return result;
end;
$$;
revoke execute on function public.set_notification_preference(public.notification_channel, boolean, text) from public, anon;
grant execute on function public.set_notification_preference(public.notification_channel, boolean, text) to authenticated;

-- Disputes: either party of a booking that is in progress or recently completed opens
-- one, with a reason and evidence files; the booking becomes disputed. Admins work a
-- queue, comment, and resolve: release to the provider, or a partial or full refund.
-- resolve_dispute records the outcome and amount and enqueues 'booking.resolved' in
-- booking_events; moving the money is the Money work's part.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.dispute_status as enum ('open', 'resolved');
create type public.dispute_outcome as enum ('release_to_provider', 'partial_refund', 'full_refund');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table public.disputes (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  opened_by uuid not null references public.profiles (id) on delete cascade,
  opener_role public.booking_actor not null,
  -- in_progress or completed: where the booking was when the dispute opened.
  booking_status_before public.booking_status not null,
  reason text not null,
  status public.dispute_status not null default 'open',
  outcome public.dispute_outcome,
  -- Minor units of the booking's currency returned to the customer.
  refund_minor bigint,
  resolution_note text,
  resolved_by uuid references auth.users (id) on delete set null,
  resolved_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint disputes_one_per_booking unique (booking_id),
  constraint dispute_opener_is_a_party check (opener_role in ('customer', 'provider')),
  constraint dispute_reason_length check (length(reason) between 1 and 2000 and reason = btrim(reason)),
  constraint dispute_resolution_is_complete check (
    (status = 'open' and outcome is null and refund_minor is null and resolved_at is null)
    or (status = 'resolved' and outcome is not null and refund_minor is not null and resolved_at is not null)),
  constraint dispute_refund_not_negative check (refund_minor is null or refund_minor >= 0),
  constraint dispute_release_refunds_nothing check (outcome is distinct from 'release_to_provider' or refund_minor = 0),
  constraint dispute_note_length check (resolution_note is null or length(resolution_note) <= 2000)
);
create index disputes_opened_by on public.disputes (opened_by);
create index disputes_resolved_by on public.disputes (resolved_by);
-- The admins' queue, oldest first.
create index disputes_queue on public.disputes (created_at) where status = 'open';

alter table public.disputes enable row level security;
revoke all on table public.disputes from anon, authenticated;
grant select on table public.disputes to authenticated;
grant all on table public.disputes to service_role;

-- Files in the dispute-evidence bucket, inside the uploader's folder.
create table public.dispute_evidence (
  id uuid primary key default gen_random_uuid(),
  dispute_id uuid not null references public.disputes (id) on delete cascade,
  uploaded_by uuid not null references public.profiles (id) on delete cascade,
  object_path text not null,
  note text,
  created_at timestamptz not null default now(),
  constraint dispute_evidence_unique_object unique (dispute_id, object_path),
  constraint dispute_evidence_in_own_folder check (private.paths_in_folder(array[object_path], uploaded_by)),
  constraint dispute_evidence_note_length check (note is null or length(note) <= 1000)
);
create index dispute_evidence_uploaded_by on public.dispute_evidence (uploaded_by);
create index dispute_evidence_object_path on public.dispute_evidence (object_path);

alter table public.dispute_evidence enable row level security;
revoke all on table public.dispute_evidence from anon, authenticated;
grant select on table public.dispute_evidence to authenticated;
grant all on table public.dispute_evidence to service_role;

-- The conversation between the parties and admins.
create table public.dispute_comments (
  id bigint generated always as identity primary key,
  dispute_id uuid not null references public.disputes (id) on delete cascade,
  author_id uuid not null references public.profiles (id) on delete cascade,
  author_role public.booking_actor not null,
  body text not null,
  created_at timestamptz not null default now(),
  constraint dispute_comment_author_role check (author_role in ('customer', 'provider', 'admin')),
  constraint dispute_comment_body_length check (length(body) between 1 and 4000 and body = btrim(body))
);
create index dispute_comments_dispute_id on public.dispute_comments (dispute_id, id);
create index dispute_comments_author_id on public.dispute_comments (author_id);

alter table public.dispute_comments enable row level security;
revoke all on table public.dispute_comments from anon, authenticated;
grant select on table public.dispute_comments to authenticated;
grant all on table public.dispute_comments to service_role;

create trigger disputes_touch_updated_at before update on public.disputes
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

insert into private.error_catalogue (code, sqlstate, message) values
  ('dispute_not_found', 'PT404', 'No such dispute.'),
  ('dispute_not_allowed', 'PT409', 'Only a booking in progress or recently completed can be disputed.'),
  ('dispute_window_closed', 'PT409', 'The time to dispute this booking has passed.'),
  ('dispute_exists', 'PT409', 'This booking has already been disputed.'),
  ('dispute_not_open', 'PT409', 'This dispute is already resolved.'),
  ('evidence_not_found', '22023', 'An evidence file is missing: upload it into your own folder first.'),
  ('invalid_refund_amount', '22023', 'The refund must fit the outcome: none to release, all for a full refund, part for a partial one.');

-- Whether the caller may read an evidence object: it belongs to a dispute about a
-- booking the caller is a party of.
create function private.can_read_dispute_evidence(name text)
returns boolean
stable
security definer
set search_path = ''
language sql
as $$
  select exists (
    select
    from public.dispute_evidence as e
    join public.disputes as d on d.id = e.dispute_id
    join public.bookings as b on b.id = d.booking_id
    where e.object_path = name
      and auth.uid() in (b.customer_id, b.provider_id)
  );
$$;
revoke execute on function private.can_read_dispute_evidence(text) from public;
grant execute on function private.can_read_dispute_evidence(text) to authenticated, service_role;

-- The dispute and the caller's part in it; dispute_not_found for strangers.
create function private.require_dispute_party(dispute_id uuid, for_update boolean default false)
returns public.disputes
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  dispute public.disputes;
  booking public.bookings;
begin
  if for_update then
    select d.* into dispute from public.disputes as d where d.id = dispute_id for update;
  else
    select d.* into dispute from public.disputes as d where d.id = dispute_id;
  end if;
  if found then
    select b.* into booking from public.bookings as b where b.id = dispute.booking_id;
  end if;
  if dispute.id is null
     or not (auth.uid() in (booking.customer_id, booking.provider_id) or private.is_admin()) then
    perform private.raise_error('dispute_not_found', jsonb_build_object('dispute_id', dispute_id));
  end if;
  return dispute;
end;
$$;
revoke execute on function private.require_dispute_party(uuid, boolean) from public;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Both parties of the booking and admins see a dispute.
create policy disputes_select_parties_or_admin on public.disputes
  for select to authenticated
  using (exists (select from public.bookings as b where b.id = booking_id));

-- Whoever sees the dispute sees its evidence list.
create policy dispute_evidence_select_parties_or_admin on public.dispute_evidence
  for select to authenticated
  using (exists (select from public.disputes as d where d.id = dispute_id));

-- Whoever sees the dispute sees its comments.
create policy dispute_comments_select_parties_or_admin on public.dispute_comments
  for select to authenticated
  using (exists (select from public.disputes as d where d.id = dispute_id));

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- A party disputes a booking. See public.open_dispute.
create function private.open_dispute(booking_id uuid, reason text, evidence_paths text[] default '{}')
returns public.disputes
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  booking public.bookings;
  settings public.service_settings;
  transition public.booking_transitions;
  missing text[];
  result public.disputes;
begin
  select b.* into booking from public.bookings as b where b.id = booking_id for update;
  if not found or caller not in (booking.customer_id, booking.provider_id) then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  if reason is null or length(btrim(reason)) = 0 then
    perform private.raise_error('reason_required');
  end if;
  if length(btrim(reason)) > 2000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'reason'));
  end if;
  if exists (select from public.disputes as d where d.booking_id = booking.id) then
    perform private.raise_error('dispute_exists');
  end if;
  if booking.status not in ('in_progress', 'completed') then
    perform private.raise_error('dispute_not_allowed', jsonb_build_object('status', booking.status));
  end if;
  select s.* into settings from public.service_settings as s where s.market_code = booking.market_code;
  if booking.status = 'completed'
     and now() > booking.completed_at + coalesce(settings.dispute_window, interval '7 days') then
    perform private.raise_error('dispute_window_closed');
  end if;
  if coalesce(cardinality(evidence_paths), 0) > 20 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'evidence_paths'));
  end if;
  missing := private.missing_objects('dispute-evidence', caller, coalesce(evidence_paths, '{}'));
  if cardinality(missing) > 0 then
    perform private.raise_error('evidence_not_found', jsonb_build_object('paths', missing));
  end if;
  transition := private.authorize_booking_transition(booking, caller, 'disputed', true);

  insert into public.disputes as d (booking_id, opened_by, opener_role, booking_status_before, reason)
  values (booking.id, caller, transition.actor, booking.status, btrim(open_dispute.reason))
  returning d.* into result;
  insert into public.dispute_evidence (dispute_id, uploaded_by, object_path)
  select result.id, caller, p.path from unnest(evidence_paths) as p (path)
  on conflict on constraint dispute_evidence_unique_object do nothing;
  perform private.apply_booking_transition(booking, 'disputed', transition.actor, caller, open_dispute.reason,
                                           jsonb_build_object('dispute_id', result.id));
  return result;
end;
$$;
revoke execute on function private.open_dispute(uuid, text, text[]) from public;
grant execute on function private.open_dispute(uuid, text, text[]) to authenticated, service_role;

-- A party adds a file (already uploaded) to an open dispute.
create function private.add_dispute_evidence(dispute_id uuid, object_path text, note text default null)
returns public.dispute_evidence
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  dispute public.disputes := private.require_dispute_party(dispute_id);
  result public.dispute_evidence;
begin
  if dispute.status <> 'open' then
    perform private.raise_error('dispute_not_open');
  end if;
  if cardinality(private.missing_objects('dispute-evidence', caller, array[object_path])) > 0 then
    perform private.raise_error('evidence_not_found', jsonb_build_object('paths', array[object_path]));
  end if;
  insert into public.dispute_evidence as e (dispute_id, uploaded_by, object_path, note)
  values (dispute.id, caller, add_dispute_evidence.object_path, nullif(btrim(add_dispute_evidence.note), ''))
  on conflict on constraint dispute_evidence_unique_object do update set note = excluded.note
  returning e.* into result;
  return result;
end;
$$;
revoke execute on function private.add_dispute_evidence(uuid, text, text) from public;
grant execute on function private.add_dispute_evidence(uuid, text, text) to authenticated, service_role;

-- A party or an admin comments on a dispute.
create function private.comment_on_dispute(dispute_id uuid, body text)
returns public.dispute_comments
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  dispute public.disputes := private.require_dispute_party(dispute_id);
  booking public.bookings;
  result public.dispute_comments;
begin
  if body is null or length(btrim(body)) not between 1 and 4000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'body'));
  end if;
  select b.* into booking from public.bookings as b where b.id = dispute.booking_id;
  insert into public.dispute_comments as c (dispute_id, author_id, author_role, body)
  values (dispute.id, caller,
          case when caller = booking.customer_id then 'customer'
               when caller = booking.provider_id then 'provider'
               else 'admin' end::public.booking_actor,
          btrim(comment_on_dispute.body))
  returning c.* into result;
  return result;
end;
$$;
revoke execute on function private.comment_on_dispute(uuid, text) from public;
grant execute on function private.comment_on_dispute(uuid, text) to authenticated, service_role;

-- Admins resolve a dispute: the outcome and the refund in minor units are recorded,
-- the booking becomes resolved, and 'booking.resolved' in booking_events carries both
-- for the Money work to act on.
create function private.resolve_dispute(
  dispute_id uuid, outcome public.dispute_outcome, refund_minor bigint default null, note text default null
)
returns public.disputes
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  dispute public.disputes;
  booking public.bookings;
  transition public.booking_transitions;
  amount bigint;
  result public.disputes;
begin
  perform private.set_audit_reason(note);
  select d.* into dispute from public.disputes as d where d.id = dispute_id for update;
  if not found then
    perform private.raise_error('dispute_not_found', jsonb_build_object('dispute_id', dispute_id));
  end if;
  if dispute.status <> 'open' then
    perform private.raise_error('dispute_not_open');
  end if;
  if outcome is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'outcome'));
  end if;
  if note is not null and length(note) > 2000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'note'));
  end if;
  select b.* into booking from public.bookings as b where b.id = dispute.booking_id for update;
  amount := case outcome
              when 'release_to_provider' then coalesce(refund_minor, 0)
              when 'full_refund' then coalesce(refund_minor, booking.price_minor)
              else refund_minor
            end;
  if amount is null
     or (outcome = 'release_to_provider' and amount <> 0)
     or (outcome = 'full_refund' and amount <> booking.price_minor)
     or (outcome = 'partial_refund' and (amount <= 0 or amount >= booking.price_minor)) then
    perform private.raise_error('invalid_refund_amount',
      jsonb_build_object('outcome', outcome, 'refund_minor', refund_minor, 'price_minor', booking.price_minor));
  end if;
  transition := private.authorize_booking_transition(booking, caller, 'resolved', true);

  update public.disputes as d
  set status = 'resolved',
      outcome = resolve_dispute.outcome,
      refund_minor = amount,
      resolution_note = nullif(btrim(note), ''),
      resolved_by = caller,
      resolved_at = now()
  where d.id = dispute.id
  returning d.* into result;
  perform private.apply_booking_transition(booking, 'resolved', transition.actor, caller,
    coalesce(nullif(btrim(note), ''), outcome::text),
    jsonb_build_object('dispute_id', result.id, 'outcome', result.outcome, 'refund_minor', result.refund_minor));
  return result;
end;
$$;
revoke execute on function private.resolve_dispute(uuid, public.dispute_outcome, bigint, text) from public;
grant execute on function private.resolve_dispute(uuid, public.dispute_outcome, bigint, text) to authenticated, service_role;

-- API: the customer or provider disputes a booking in progress or completed within the
-- market's dispute window, with a reason and evidence files already uploaded to the
-- dispute-evidence bucket; the booking becomes disputed.
create function public.open_dispute(booking_id uuid, reason text, evidence_paths text[] default '{}')
returns public.disputes
volatile
security invoker
set search_path = ''
language sql
as $$ select private.open_dispute(booking_id, reason, evidence_paths); $$;
revoke execute on function public.open_dispute(uuid, text, text[]) from public, anon;
grant execute on function public.open_dispute(uuid, text, text[]) to authenticated, service_role;

-- API: a party adds an uploaded evidence file to an open dispute.
create function public.add_dispute_evidence(dispute_id uuid, object_path text, note text default null)
returns public.dispute_evidence
volatile
security invoker
set search_path = ''
language sql
as $$ select private.add_dispute_evidence(dispute_id, object_path, note); $$;
revoke execute on function public.add_dispute_evidence(uuid, text, text) from public, anon;
grant execute on function public.add_dispute_evidence(uuid, text, text) to authenticated, service_role;

-- API: a party or an admin comments on a dispute.
create function public.comment_on_dispute(dispute_id uuid, body text)
returns public.dispute_comments
volatile
security invoker
set search_path = ''
language sql
as $$ select private.comment_on_dispute(dispute_id, body); $$;
revoke execute on function public.comment_on_dispute(uuid, text) from public, anon;
grant execute on function public.comment_on_dispute(uuid, text) to authenticated, service_role;

-- API: admins resolve a dispute with an outcome and, for a partial refund, the amount
-- in minor units.
create function public.resolve_dispute(
  dispute_id uuid, outcome public.dispute_outcome, refund_minor bigint default null, note text default null
)
returns public.disputes
volatile
security invoker
set search_path = ''
language sql
as $$ select private.resolve_dispute(dispute_id, outcome, refund_minor, note); $$;
revoke execute on function public.resolve_dispute(uuid, public.dispute_outcome, bigint, text) from public, anon;
grant execute on function public.resolve_dispute(uuid, public.dispute_outcome, bigint, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Storage: dispute evidence (private)
-- ---------------------------------------------------------------------------

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('dispute-evidence', 'dispute-evidence', false, 10 * 1024 * 1024,
        array['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'video/mp4'])
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- The uploader, both parties of the disputed booking and admins read evidence.
create policy objects_select_dispute_evidence on storage.objects
  for select to authenticated
  using (
    bucket_id = 'dispute-evidence'
    and (private.is_own_object(name) or (select private.has_role('admin')) or private.can_read_dispute_evidence(name))
  );

-- Active users upload evidence into their own folder. Evidence is never rewritten or
-- removed, so there is no update or delete policy.
create policy objects_insert_dispute_evidence on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'dispute-evidence'
    and private.is_own_object(name)
    and (select private.is_active_user())
  );

-- Bookings: bookable slots, requests, the status machine, the timeline, the outbox of
-- side effects, expiry, rescheduling and the per-market cancellation refund policy.
--
-- Every change goes through a function here; clients only read. Double booking is
-- impossible by construction: an exclusion constraint over each provider's occupied
-- time (service time plus buffers) for the statuses that hold the slot. The status
-- machine is data (booking_transitions): one function checks the caller's part in the
-- booking against it, records who/when/why on the timeline, and enqueues an event in
-- booking_events for the Notifications and Money work to consume.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.booking_status as enum (
  'requested', 'accepted', 'declined', 'expired', 'in_progress', 'completed',
  'cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'disputed', 'resolved'
);
-- Who takes a transition. 'system' is the expiry job.
create type public.booking_actor as enum ('customer', 'provider', 'admin', 'system');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- The status machine. transition_booking takes only the rows with `direct`; the others
-- belong to a dedicated function (open_dispute, resolve_dispute) or to the expiry job.
create table public.booking_transitions (
  from_status public.booking_status not null,
  to_status public.booking_status not null,
  actor public.booking_actor not null,
  requires_reason boolean not null default false,
  direct boolean not null default true,
  -- The earliest the transition may be taken, before the booking's start; null: any time.
  opens_before_start interval,
  constraint booking_transitions_pkey primary key (from_status, to_status, actor),
  constraint booking_transition_changes_status check (from_status <> to_status),
  constraint booking_transition_opening_not_negative check (opens_before_start >= interval '0')
);

alter table public.booking_transitions enable row level security;
revoke all on table public.booking_transitions from anon, authenticated;
grant select on table public.booking_transitions to anon, authenticated;
grant all on table public.booking_transitions to service_role;

insert into public.booking_transitions (from_status, to_status, actor, requires_reason, direct, opens_before_start) values
  ('requested',   'accepted',              'provider', false, true,  null),
  ('requested',   'declined',              'provider', false, true,  null),
  ('requested',   'cancelled_by_customer', 'customer', false, true,  null),
  ('requested',   'cancelled_by_admin',    'admin',    true,  true,  null),
  ('requested',   'expired',               'system',   false, false, null),
  -- A provider may arrive a little early, not start (and so complete) days ahead.
  ('accepted',    'in_progress',           'provider', false, true,  interval '2 hours'),
  ('accepted',    'cancelled_by_customer', 'customer', false, true,  null),
  ('accepted',    'cancelled_by_provider', 'provider', true,  true,  null),
  ('accepted',    'cancelled_by_admin',    'admin',    true,  true,  null),
  ('in_progress', 'completed',             'provider', false, true,  null),
  ('in_progress', 'cancelled_by_admin',    'admin',    true,  true,  null),
  ('in_progress', 'disputed',              'customer', true,  false, null),
  ('in_progress', 'disputed',              'provider', true,  false, null),
  ('completed',   'disputed',              'customer', true,  false, null),
  ('completed',   'disputed',              'provider', true,  false, null),
  ('disputed',    'resolved',              'admin',    true,  false, null);

-- Refund tiers of a market's cancellation policy: a customer who cancels at least
-- min_notice before the start gets refund_percent of the price back (the largest
-- min_notice that applies wins; none: nothing).
create table public.cancellation_refund_tiers (
  market_code text not null references public.markets (code) on delete cascade,
  min_notice interval not null,
  refund_percent smallint not null,
  constraint cancellation_refund_tiers_pkey primary key (market_code, min_notice),
  constraint refund_tier_notice_not_negative check (min_notice >= interval '0'),
  constraint refund_tier_percent_in_range check (refund_percent between 0 and 100)
);

alter table public.cancellation_refund_tiers enable row level security;
revoke all on table public.cancellation_refund_tiers from anon, authenticated;
grant select on table public.cancellation_refund_tiers to anon, authenticated;
grant insert, update, delete on table public.cancellation_refund_tiers to authenticated;
grant all on table public.cancellation_refund_tiers to service_role;

create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  listing_id uuid not null references public.service_listings (id) on delete cascade,
  provider_id uuid not null references public.providers (id) on delete cascade,
  customer_id uuid not null references public.profiles (id) on delete cascade,
  market_code text not null references public.markets (code),
  status public.booking_status not null default 'requested',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  -- Service time plus the listing's buffers: what no other holding booking may overlap.
  occupied tstzrange not null,
  -- The provider's zone when booked, for showing local times.
  time_zone text not null,
  -- Computed in SQL from the listing when requested, never taken from the client.
  price_minor bigint not null,
  currency_code text not null,
  pricing_unit public.pricing_unit not null,
  -- Where the service happens: only the two parties and admins see it.
  address text not null,
  lat double precision not null,
  lng double precision not null,
  notes text,
  -- Chosen by the client per booking attempt; a retry with the same key returns the
  -- booking the first attempt made.
  idempotency_key text not null,
  -- When a request nobody accepted expires.
  expires_at timestamptz,
  status_changed_at timestamptz not null default now(),
  accepted_at timestamptz,
  started_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint booking_ends_after_start check (ends_at > starts_at),
  constraint booking_occupies_its_time check (occupied @> tstzrange(starts_at, ends_at)),
  constraint booking_price_is_not_negative check (price_minor >= 0),
  constraint booking_currency_is_iso check (currency_code ~ '^[A-Z]{3}$'),
  constraint booking_address_length check (length(address) between 1 and 500 and address = btrim(address)),
  constraint booking_location_is_on_earth check (lat between -90 and 90 and lng between -180 and 180),
  constraint booking_notes_length check (notes is null or length(notes) <= 2000),
  -- Length apart from the pattern: a bounded repeat {8,128} is far slower to match.
  constraint booking_idempotency_key_format check (
    length(idempotency_key) between 8 and 128 and idempotency_key ~ '^[A-Za-z0-9._:-]+$'),
  constraint bookings_customer_idempotency_key unique (customer_id, idempotency_key),
  constraint booking_no_overlap exclude using gist (provider_id with =, occupied with &&)
    where (status in ('requested', 'accepted', 'in_progress'))
);
-- "My bookings" for customers and providers, newest first, in the order the app pages
-- in (starts_at, then id, both descending), so a page is one index range:
--   GET /bookings?customer_id=eq.<me>&order=starts_at.desc,id.desc&limit=20
--   next page: …&starts_at=lte.<last starts_at>&or=(starts_at.lt.<last starts_at>,id.lt.<last id>)
-- (provider_id for a provider's side; RLS shows each party only their own).
create index bookings_customer_starts_at on public.bookings (customer_id, starts_at desc, id desc);
create index bookings_provider_starts_at on public.bookings (provider_id, starts_at desc, id desc);
create index bookings_listing_id on public.bookings (listing_id);
create index bookings_market_code on public.bookings (market_code);
-- The expiry job's queue, and the per-provider expiry every booking write runs first.
create index bookings_expiring on public.bookings (expires_at) where status = 'requested';
create index bookings_expiring_per_provider on public.bookings (provider_id, expires_at) where status = 'requested';

alter table public.bookings enable row level security;
revoke all on table public.bookings from anon, authenticated;
grant select on table public.bookings to authenticated;
grant all on table public.bookings to service_role;

-- Everything that happened to a booking: who, when, why.
create table public.booking_timeline (
  id bigint generated always as identity primary key,
  booking_id uuid not null references public.bookings (id) on delete cascade,
  kind text not null,
  from_status public.booking_status,
  to_status public.booking_status not null,
  actor public.booking_actor not null,
  actor_id uuid references auth.users (id) on delete set null,
  reason text,
  details jsonb not null default '{}',
  created_at timestamptz not null default now(),
  constraint booking_timeline_kind_is_known check (kind in ('requested', 'status_changed', 'rescheduled')),
  constraint booking_timeline_reason_length check (reason is null or length(reason) <= 1000)
);
create index booking_timeline_booking_id on public.booking_timeline (booking_id, id);
create index booking_timeline_actor_id on public.booking_timeline (actor_id);

alter table public.booking_timeline enable row level security;
revoke all on table public.booking_timeline from anon, authenticated;
grant select on table public.booking_timeline to authenticated;
grant all on table public.booking_timeline to service_role;

-- Outbox: side effects to carry out (notify, charge, refund), in order, at least once.
-- Consumers (service role) mark processed_at.
create table public.booking_events (
  id bigint generated always as identity primary key,
  booking_id uuid not null references public.bookings (id) on delete cascade,
  event_type text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  processed_at timestamptz,
  constraint booking_event_type_is_dotted check (event_type ~ '^[a-z_]+\.[a-z_]+$')
);
create index booking_events_booking_id on public.booking_events (booking_id, id);
create index booking_events_unprocessed on public.booking_events (id) where processed_at is null;

alter table public.booking_events enable row level security;
revoke all on table public.booking_events from anon, authenticated;
grant select on table public.booking_events to authenticated;
grant all on table public.booking_events to service_role;

create trigger bookings_touch_updated_at before update on public.bookings
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

insert into private.error_catalogue (code, sqlstate, message) values
  ('booking_not_found', 'PT404', 'No such booking.'),
  ('cannot_book_own_listing', 'PT409', 'Providers cannot book their own listings.'),
  ('slot_in_past', '22023', 'This time has already passed.'),
  ('notice_too_short', '22023', 'This is too soon: the provider needs more notice.'),
  ('too_far_ahead', '22023', 'This is too far ahead to book.'),
  ('outside_availability', 'PT409', 'The provider is not available at this time.'),
  ('outside_coverage', '22023', 'This address is outside the area the provider serves.'),
  ('slot_unavailable', 'PT409', 'This time is already taken.'),
  ('idempotency_key_reused', 'PT409', 'This idempotency key was already used for a different booking.'),
  ('invalid_transition', 'PT409', 'A booking cannot go from its current status to this one.'),
  ('transition_not_allowed', '42501', 'You cannot take this booking to this status.'),
  ('booking_expired', 'PT409', 'This request expired before it was accepted.'),
  ('booking_not_reschedulable', 'PT409', 'Only requested or accepted bookings can be moved.'),
  ('transition_too_early', 'PT409', 'It is too early for this: wait until closer to the start.');

-- The rules that make a listing bookable, given its rows: the market offers services
-- (settings is null otherwise), the listing and its provider are active and, where the
-- market asks for it, the provider is verified.
create function private.check_listing_bookable(
  listing public.service_listings, provider public.providers, settings public.service_settings
)
returns void
stable
security definer
set search_path = ''
language plpgsql
as $$
begin
  if settings.market_code is null then
    perform private.raise_error('services_not_available', jsonb_build_object('market', listing.market_code));
  end if;
  if not listing.active then
    perform private.raise_error('listing_inactive', jsonb_build_object('listing_id', listing.id));
  end if;
  if not provider.active then
    perform private.raise_error('provider_inactive', jsonb_build_object('provider_id', provider.id));
  end if;
  if settings.requires_verified_providers and not provider.verified then
    perform private.raise_error('provider_not_verified', jsonb_build_object('provider_id', provider.id));
  end if;
end;
$$;
revoke execute on function private.check_listing_bookable(public.service_listings, public.providers, public.service_settings) from public;

-- A listing customers may book now: it exists and is active, its provider is active
-- and, where the market asks for it, verified.
create function private.require_bookable_listing(listing_id uuid)
returns public.service_listings
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  listing public.service_listings;
  provider public.providers;
  settings public.service_settings;
begin
  select l.* into listing from public.service_listings as l where l.id = listing_id;
  if not found then
    perform private.raise_error('listing_not_found', jsonb_build_object('listing_id', listing_id));
  end if;
  select p.* into provider from public.providers as p where p.id = listing.provider_id;
  settings := private.require_service_settings(listing.market_code);
  perform private.check_listing_bookable(listing, provider, settings);
  return listing;
end;
$$;
revoke execute on function private.require_bookable_listing(uuid) from public;
grant execute on function private.require_bookable_listing(uuid) to anon, authenticated, service_role;

-- When a listing's service could run, between two instants: the provider's open hours,
-- minus time that would overlap another holding booking once both bookings' buffers
-- are counted, minus anything sooner than the minimum notice (rounded up to the slot
-- grid) or beyond the market's booking horizon. `ignore_booking` is left out (a
-- booking being moved does not block itself).
create function private.listing_free_time(
  listing public.service_listings, from_ts timestamptz, to_ts timestamptz, ignore_booking uuid default null
)
returns tstzmultirange
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  before_buffer interval := make_interval(mins => listing.buffer_before_minutes);
  after_buffer interval := make_interval(mins => listing.buffer_after_minutes);
  step interval;
  horizon interval;
  zone text;
  notice_ends timestamp;
  binned timestamp;
  earliest timestamptz;
  busy tstzmultirange;
begin
  -- The market's settings (as require_service_settings) and the provider's zone at once:
  -- search runs this for every listing it shows.
  select s.slot_step, s.booking_horizon, p.time_zone
  into step, horizon, zone
  from public.service_settings as s
  join public.markets as m on m.code = s.market_code
  cross join public.providers as p
  where s.market_code = listing.market_code and m.active and 'services' = any (m.modules)
    and p.id = listing.provider_id;
  if not found then
    perform private.raise_error('services_not_available', jsonb_build_object('market', listing.market_code));
  end if;
  -- The minimum notice, rounded up to the slot grid (as ceil_to_step).
  notice_ends := (now() + make_interval(mins => listing.min_notice_minutes)) at time zone zone;
  binned := date_bin(step, notice_ends, timestamp '2000-01-01');
  earliest := (case when binned < notice_ends then binned + step else binned end) at time zone zone;
  from_ts := greatest(from_ts, earliest);
  to_ts := least(to_ts, now() + horizon);
  if from_ts >= to_ts then
    return '{}';
  end if;
  -- A service starting at s occupies [s - before, end + after); it clashes with an
  -- occupied range O exactly when [s, end) meets [lower(O) - after, upper(O) + before).
  select coalesce(range_agg(tstzrange(lower(b.occupied) - after_buffer, upper(b.occupied) + before_buffer)),
                  '{}'::tstzmultirange)
  into busy
  from public.bookings as b
  where b.provider_id = listing.provider_id
    and b.status in ('requested', 'accepted', 'in_progress')
    and b.occupied && tstzrange(from_ts - after_buffer - before_buffer, to_ts + after_buffer + before_buffer)
    and not (b.status = 'requested' and b.expires_at <= now())
    and b.id is distinct from ignore_booking;
  return private.provider_windows(listing.provider_id, from_ts, to_ts, zone) - busy;
end;
$$;
revoke execute on function private.listing_free_time(public.service_listings, timestamptz, timestamptz, uuid) from public;
grant execute on function private.listing_free_time(public.service_listings, timestamptz, timestamptz, uuid) to anon, authenticated, service_role;

-- Whether a service starting at `starts_at` could be booked now. (PL/pgSQL, like the
-- helper below: search calls these per row, and a SQL function with SET would be
-- planned again on every call.)
create function private.is_bookable_start(listing public.service_listings, starts_at timestamptz, ignore_booking uuid default null)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  ends_at timestamptz := starts_at + make_interval(mins => listing.duration_minutes);
begin
  return tstzrange(starts_at, ends_at) <@ private.listing_free_time(listing, starts_at, ends_at, ignore_booking);
end;
$$;
revoke execute on function private.is_bookable_start(public.service_listings, timestamptz, uuid) from public;
grant execute on function private.is_bookable_start(public.service_listings, timestamptz, uuid) to anon, authenticated, service_role;

-- A listing's next free start within `horizon` from now (null if none) and, given a
-- start time, whether a service starting then could be booked: one look at the free
-- time answers both (search shows the one for listings that pass the other). The next
-- three days are looked at (or up to the start asked about), where a listed, open
-- provider's next start nearly always is; the whole horizon only when they have none.
create function private.listing_availability(
  listing public.service_listings,
  starts_at timestamptz default null,
  horizon interval default interval '14 days',
  out bookable boolean,
  out next_slot timestamptz
)
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  duration interval := make_interval(mins => listing.duration_minutes);
  look_until timestamptz := now() + least(horizon, interval '3 days');
  free tstzmultirange;
begin
  if starts_at is not null then
    look_until := greatest(look_until, starts_at + duration);
  end if;
  free := private.listing_free_time(listing, now(), look_until);
  if starts_at is not null then
    bookable := tstzrange(starts_at, starts_at + duration) <@ free;
  end if;
  loop
    select lower(f.free) into next_slot
    from unnest(free * tstzmultirange(tstzrange(now(), now() + horizon))) as f (free)
    where upper(f.free) - lower(f.free) >= duration
    order by lower(f.free)
    limit 1;
    exit when next_slot is not null or look_until >= now() + horizon;
    look_until := now() + horizon;
    free := private.listing_free_time(listing, now(), look_until);
  end loop;
end;
$$;
revoke execute on function private.listing_availability(public.service_listings, timestamptz, interval) from public;
grant execute on function private.listing_availability(public.service_listings, timestamptz, interval) to anon, authenticated, service_role;

-- Puts a status change on the timeline and in the outbox. The booking row is already updated.
create function private.record_booking_event(
  booking public.bookings,
  kind text,
  from_status public.booking_status,
  actor public.booking_actor,
  actor_id uuid,
  reason text,
  details jsonb default '{}'
)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  insert into public.booking_timeline (booking_id, kind, from_status, to_status, actor, actor_id, reason, details)
  values (booking.id, kind, from_status, booking.status, actor, actor_id, reason, coalesce(details, '{}'));
  insert into public.booking_events (booking_id, event_type, payload)
  values (
    booking.id,
    'booking.' || case kind when 'status_changed' then booking.status::text else kind end,
    jsonb_build_object(
      'booking_id', booking.id,
      'listing_id', booking.listing_id,
      'customer_id', booking.customer_id,
      'provider_id', booking.provider_id,
      'market_code', booking.market_code,
      'from_status', from_status,
      'status', booking.status,
      'actor', actor,
      'actor_id', actor_id,
      'reason', reason,
      'starts_at', booking.starts_at,
      'ends_at', booking.ends_at,
      'price_minor', booking.price_minor,
      'currency_code', booking.currency_code
    ) || coalesce(details, '{}')
  );
end;
$$;
revoke execute on function private.record_booking_event(public.bookings, text, public.booking_status, public.booking_actor, uuid, text, jsonb) from public;

-- Requests whose time to be accepted has passed become expired (all of them, or one
-- provider's). Run every minute by pg_cron where it is installed, and lazily before
-- anything that needs the provider's time.
create function private.expire_booking_requests(provider uuid default null)
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  booking public.bookings;
  expired integer := 0;
begin
  -- Booking requests call this for their provider: `provider_id = $1` on its own (not
  -- "provider is null or ...") lets every plan go straight to that provider's requests
  -- (bookings_expiring_per_provider) instead of walking everyone's expired ones.
  if provider is not null then
    for booking in
      update public.bookings as b
      set status = 'expired', status_changed_at = now()
      where b.provider_id = provider and b.status = 'requested' and b.expires_at <= now()
      returning b.*
    loop
      perform private.record_booking_event(booking, 'status_changed', 'requested', 'system', null, 'Not accepted in time');
      expired := expired + 1;
    end loop;
  else
    for booking in
      update public.bookings as b
      set status = 'expired', status_changed_at = now()
      where b.status = 'requested' and b.expires_at <= now()
      returning b.*
    loop
      perform private.record_booking_event(booking, 'status_changed', 'requested', 'system', null, 'Not accepted in time');
      expired := expired + 1;
    end loop;
  end if;
  return expired;
end;
$$;
revoke execute on function private.expire_booking_requests(uuid) from public;
grant execute on function private.expire_booking_requests(uuid) to service_role;

-- Booking writes for one provider happen one at a time. Without this, two conflicting
-- inserts that reach the exclusion constraint together each wait for the other's
-- uncommitted row, and Postgres ends the tie with a deadlock error instead of letting
-- the loser see the winner's booking and answer slot_unavailable. Bookings for
-- different providers do not wait on each other.
create function private.lock_provider_calendar(provider uuid)
returns void
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  -- (PL/pgSQL: a SQL function with SET would be planned again on every call.)
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('soko.provider_calendar:' || provider::text, 0));
end;
$$;
revoke execute on function private.lock_provider_calendar(uuid) from public;

-- The share of the price (0 to 1) the customer gets back if the booking ends now or
-- ended by cancellation: everything when the provider or an admin cancelled, or the
-- booking never went ahead (still requested, declined, expired, or withdrawn by the
-- customer before the provider accepted it); the market's tier for
-- the notice the customer gave when they cancel (or would give cancelling at `at`);
-- nothing once the service started (disputes decide refunds from there).
create function private.booking_refund_fraction(booking_id uuid, at timestamptz default now())
returns numeric
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  booking public.bookings;
  percent smallint;
begin
  select b.* into booking from public.bookings as b where b.id = booking_id;
  if not found then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  if booking.status in ('requested', 'declined', 'expired', 'cancelled_by_provider', 'cancelled_by_admin')
     or (booking.status = 'cancelled_by_customer' and booking.accepted_at is null) then
    return 1;
  end if;
  if booking.status not in ('accepted', 'cancelled_by_customer') then
    return 0;
  end if;
  select t.refund_percent into percent
  from public.cancellation_refund_tiers as t
  where t.market_code = booking.market_code
    and t.min_notice <= booking.starts_at - coalesce(booking.cancelled_at, at)
  order by t.min_notice desc
  limit 1;
  return round(coalesce(percent, 0) / 100.0, 4);
end;
$$;
revoke execute on function private.booking_refund_fraction(uuid, timestamptz) from public;
grant execute on function private.booking_refund_fraction(uuid, timestamptz) to service_role;

-- The same in minor units of the booking's currency (rounded down).
create function private.booking_refund_minor(booking_id uuid, at timestamptz default now())
returns bigint
stable
security definer
set search_path = ''
language sql
as $$
  select floor(b.price_minor * private.booking_refund_fraction(b.id, at))::bigint
  from public.bookings as b
  where b.id = booking_id;
$$;
revoke execute on function private.booking_refund_minor(uuid, timestamptz) from public;
grant execute on function private.booking_refund_minor(uuid, timestamptz) to service_role;

-- Applies a transition already checked against booking_transitions: the status, its
-- timestamps, the timeline and the outbox. The row must be locked by the caller.
create function private.apply_booking_transition(
  booking public.bookings,
  to_status public.booking_status,
  actor public.booking_actor,
  actor_id uuid,
  reason text,
  details jsonb default '{}'
)
returns public.bookings
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  result public.bookings;
  extra jsonb := coalesce(details, '{}');
begin
  update public.bookings as b
  set status = to_status,
      status_changed_at = now(),
      accepted_at = case when to_status = 'accepted' then now() else b.accepted_at end,
      started_at = case when to_status = 'in_progress' then now() else b.started_at end,
      completed_at = case when to_status = 'completed' then now() else b.completed_at end,
      cancelled_at = case when to_status in ('cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin')
                          then now() else b.cancelled_at end
  where b.id = booking.id
  returning b.* into result;
  if to_status in ('cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'declined') then
    extra := extra || jsonb_build_object(
      'refund_fraction', private.booking_refund_fraction(result.id),
      'refund_minor', private.booking_refund_minor(result.id));
  end if;
  perform private.record_booking_event(result, 'status_changed', booking.status, actor, actor_id,
                                       nullif(btrim(reason), ''), extra);
  return result;
end;
$$;
revoke execute on function private.apply_booking_transition(public.bookings, public.booking_status, public.booking_actor, uuid, text, jsonb) from public;

-- Which part the caller plays in a booking for a transition in the table, checked
-- against the table. Raises when the booking is not theirs to see, the transition is
-- not in the table, or the caller's parts may not take it.
create function private.authorize_booking_transition(
  booking public.bookings, caller uuid, to_status public.booking_status, via_function boolean
)
returns public.booking_transitions
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  parts public.booking_actor[] := '{}';
  transition public.booking_transitions;
begin
  if caller = booking.customer_id then parts := parts || 'customer'::public.booking_actor; end if;
  if caller = booking.provider_id then parts := parts || 'provider'::public.booking_actor; end if;
  if private.is_admin() then parts := parts || 'admin'::public.booking_actor; end if;
  if cardinality(parts) = 0 then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking.id));
  end if;
  if booking.status = 'requested' and booking.expires_at <= now() then
    perform private.raise_error('booking_expired', jsonb_build_object('booking_id', booking.id));
  end if;
  -- A party acts as such before acting as an admin.
  select t.* into transition
  from public.booking_transitions as t
  where t.from_status = booking.status and t.to_status = authorize_booking_transition.to_status
    and t.actor = any (parts) and (t.direct or via_function)
  order by t.actor = 'admin', t.actor
  limit 1;
  if not found then
    if exists (select from public.booking_transitions as t
               where t.from_status = booking.status and t.to_status = authorize_booking_transition.to_status
                 and (t.direct or via_function)) then
      perform private.raise_error('transition_not_allowed',
        jsonb_build_object('from', booking.status, 'to', to_status, 'as', parts));
    end if;
    perform private.raise_error('invalid_transition', jsonb_build_object('from', booking.status, 'to', to_status));
  end if;
  if transition.opens_before_start is not null and now() < booking.starts_at - transition.opens_before_start then
    perform private.raise_error('transition_too_early',
      jsonb_build_object('opens_at', booking.starts_at - transition.opens_before_start));
  end if;
  return transition;
end;
$$;
revoke execute on function private.authorize_booking_transition(public.bookings, uuid, public.booking_status, boolean) from public;

-- Checks a start time against the listing for a customer asking now; raises the first
-- rule it breaks.
create function private.check_booking_start(
  listing public.service_listings, starts_at timestamptz, horizon interval default null, zone text default null
)
returns void
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  ends_at timestamptz;
begin
  -- The market's booking horizon and the provider's zone, unless the caller read them.
  if horizon is null then
    horizon := (private.require_service_settings(listing.market_code)).booking_horizon;
  end if;
  if starts_at is null or not isfinite(starts_at) then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'starts_at'));
  end if;
  ends_at := starts_at + make_interval(mins => listing.duration_minutes);
  if starts_at < now() then
    perform private.raise_error('slot_in_past', jsonb_build_object('starts_at', starts_at));
  end if;
  if starts_at < now() + make_interval(mins => listing.min_notice_minutes) then
    perform private.raise_error('notice_too_short', jsonb_build_object('min_notice_minutes', listing.min_notice_minutes));
  end if;
  if ends_at > now() + horizon then
    perform private.raise_error('too_far_ahead', jsonb_build_object('booking_horizon', horizon));
  end if;
  if not tstzrange(starts_at, ends_at) <@ private.provider_windows(listing.provider_id, starts_at, ends_at, zone) then
    perform private.raise_error('outside_availability', jsonb_build_object('starts_at', starts_at, 'ends_at', ends_at));
  end if;
end;
$$;
revoke execute on function private.check_booking_start(public.service_listings, timestamptz, interval, text) from public;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- The status machine is public reference data.
create policy booking_transitions_select_everyone on public.booking_transitions
  for select to anon, authenticated
  using (true);

-- Cancellation policies are public: customers see them before booking.
create policy cancellation_refund_tiers_select_everyone on public.cancellation_refund_tiers
  for select to anon, authenticated
  using (true);

-- Admins set a market's refund tiers.
create policy cancellation_refund_tiers_insert_admins on public.cancellation_refund_tiers
  for insert to authenticated
  with check ((select private.has_role('admin')));

-- Admins change a market's refund tiers.
create policy cancellation_refund_tiers_update_admins on public.cancellation_refund_tiers
  for update to authenticated
  using ((select private.has_role('admin')))
  with check ((select private.has_role('admin')));

-- Admins remove a market's refund tiers.
create policy cancellation_refund_tiers_delete_admins on public.cancellation_refund_tiers
  for delete to authenticated
  using ((select private.has_role('admin')));

-- The customer, the provider and admins see a booking (address included); nobody else.
create policy bookings_select_parties_or_admin on public.bookings
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or provider_id = (select auth.uid())
    or (select private.has_role('admin'))
  );

-- A booking's timeline is visible to whoever sees the booking.
create policy booking_timeline_select_parties_or_admin on public.booking_timeline
  for select to authenticated
  using (exists (select from public.bookings as b where b.id = booking_id));

-- The outbox is for the service role and, for support, admins.
create policy booking_events_select_admins on public.booking_events
  for select to authenticated
  using ((select private.has_role('admin')));

-- Suspended users write nothing.
create policy cancellation_refund_tiers_insert_active_users on public.cancellation_refund_tiers
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy cancellation_refund_tiers_update_active_users on public.cancellation_refund_tiers
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy cancellation_refund_tiers_delete_active_users on public.cancellation_refund_tiers
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- Bookable start times of a listing on local dates from_date to to_date (provider's
-- zone), at most 31 days. Starts lie on the market's slot grid from the start of each
-- free stretch.
create function private.listing_slots(listing_id uuid, from_date date, to_date date)
returns table (starts_at timestamptz, ends_at timestamptz)
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  listing public.service_listings := private.require_bookable_listing(listing_id);
  settings public.service_settings := private.require_service_settings(listing.market_code);
  zone text;
  duration interval := make_interval(mins => listing.duration_minutes);
begin
  if from_date is null or to_date is null or to_date < from_date then
    perform private.raise_error('invalid_time_range', jsonb_build_object('from_date', from_date, 'to_date', to_date));
  end if;
  if to_date - from_date > 30 then
    perform private.raise_error('date_range_too_long', jsonb_build_object('max_days', 31));
  end if;
  select p.time_zone into zone from public.providers as p where p.id = listing.provider_id;
  return query
    select s.start, s.start + duration
    from unnest(private.listing_free_time(listing, from_date::timestamp at time zone zone,
                                          (to_date + 1)::timestamp at time zone zone)) as f (free),
         lateral generate_series(lower(f.free), upper(f.free) - duration, settings.slot_step) as s (start)
    order by s.start;
end;
$$;
revoke execute on function private.listing_slots(uuid, date, date) from public;
grant execute on function private.listing_slots(uuid, date, date) to anon, authenticated, service_role;

-- A customer asks for a listing at a time. See public.request_booking.
--
-- The hottest write of the marketplace, so it reads what it needs once: the caller's
-- account, then the listing with its provider, the market's settings and currency and
-- the provider's base in one statement. The rules are those of
-- require_active_user, require_bookable_listing and check_booking_start, in the same
-- order (the tests hold all three to the same errors).
create function private.request_booking(
  listing_id uuid,
  starts_at timestamptz,
  address text,
  lat double precision,
  lng double precision,
  idempotency_key text,
  notes text default null
)
returns public.bookings
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := auth.uid();
  caller_status public.account_status;
  existing public.bookings;
  found_row record;
  listing public.service_listings;
  provider public.providers;
  settings public.service_settings;
  ends_at timestamptz;
  result public.bookings;
begin
  if caller is null then
    perform private.raise_error('not_authenticated');
  end if;
  select a.status into caller_status from public.accounts as a where a.id = caller;
  if caller_status is distinct from 'active' then
    perform private.raise_error('account_suspended');
  end if;
  if request_booking.idempotency_key is null or length(request_booking.idempotency_key) not between 8 and 128
     or request_booking.idempotency_key !~ '^[A-Za-z0-9._:-]+$' then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'idempotency_key'));
  end if;
  -- A retry returns what the first attempt made.
  select b.* into existing
  from public.bookings as b
  where b.customer_id = caller and b.idempotency_key = request_booking.idempotency_key;
  if found then
    if existing.listing_id is distinct from request_booking.listing_id
       or existing.starts_at is distinct from request_booking.starts_at then
      perform private.raise_error('idempotency_key_reused');
    end if;
    return existing;
  end if;

  -- The listing, its provider, the market's services settings (null where the market
  -- offers none) and currency, and the provider's base (null if they have none).
  select l as listing, p as provider, s as settings, m.currency_code, pl.lat as base_lat, pl.lng as base_lng
  into found_row
  from public.service_listings as l
  join public.providers as p on p.id = l.provider_id
  left join (public.service_settings as s
             join public.markets as m on m.code = s.market_code and m.active and 'services' = any (m.modules))
    on s.market_code = l.market_code
  left join public.provider_locations as pl on pl.provider_id = l.provider_id
  where l.id = request_booking.listing_id;
  if not found then
    perform private.raise_error('listing_not_found', jsonb_build_object('listing_id', request_booking.listing_id));
  end if;
  listing := found_row.listing;
  provider := found_row.provider;
  settings := found_row.settings;
  perform private.check_listing_bookable(listing, provider, settings);
  if provider.id = caller then
    perform private.raise_error('cannot_book_own_listing');
  end if;
  if request_booking.address is null or length(btrim(request_booking.address)) not between 1 and 500 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'address'));
  end if;
  if request_booking.notes is not null and length(request_booking.notes) > 2000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'notes'));
  end if;
  if request_booking.lat is null or request_booking.lng is null
     or request_booking.lat not between -90 and 90 or request_booking.lng not between -180 and 180 then
    perform private.raise_error('invalid_location');
  end if;
  perform private.check_booking_start(listing, request_booking.starts_at, settings.booking_horizon, provider.time_zone);
  ends_at := request_booking.starts_at + make_interval(mins => listing.duration_minutes);
  -- The great-circle distance from the base, as earthdistance measures it for search
  -- (a sphere of earth()'s radius, 6378168 m), by the haversine formula: the same
  -- through ll_to_earth and earth_distance costs a tenth of the whole request.
  if found_row.base_lat is null
     or 2 * 6378168 * asin(least(1, sqrt(
          sin(radians(request_booking.lat - found_row.base_lat) / 2) ^ 2
          + cos(radians(found_row.base_lat)) * cos(radians(request_booking.lat))
            * sin(radians(request_booking.lng - found_row.base_lng) / 2) ^ 2)))
        > coalesce(listing.coverage_radius_m, provider.service_radius_m) then
    perform private.raise_error('outside_coverage');
  end if;

  perform private.lock_provider_calendar(provider.id);
  -- Stale requests must not hold the time they would otherwise free. Probed first, as
  -- the provider's earliest expiry: the first entry of bookings_expiring_per_provider
  -- (asked "any expired?" or for min(), the planner may walk all the provider's holding
  -- bookings in booking_no_overlap instead). There is rarely anything to expire.
  if (select b.expires_at from public.bookings as b
      where b.provider_id = provider.id and b.status = 'requested'
      order by b.expires_at
      limit 1) <= now() then
    perform private.expire_booking_requests(provider.id);
  end if;

  -- A clash with another holding booking (booking_no_overlap) or with a request made
  -- with this key (bookings_customer_idempotency_key) inserts nothing: DO NOTHING
  -- without a target takes every unique and exclusion constraint as its arbiter, and
  -- spares the hot path a subtransaction.
  insert into public.bookings as b (
    listing_id, provider_id, customer_id, market_code, status, starts_at, ends_at, occupied, time_zone,
    price_minor, currency_code, pricing_unit, address, lat, lng, notes, idempotency_key, expires_at
  )
  values (
    listing.id, provider.id, caller, listing.market_code, 'requested',
    request_booking.starts_at, ends_at,
    tstzrange(request_booking.starts_at - make_interval(mins => listing.buffer_before_minutes),
              ends_at + make_interval(mins => listing.buffer_after_minutes)),
    provider.time_zone,
    case listing.pricing_unit
      when 'hourly' then (listing.price_minor * listing.duration_minutes + 59) / 60
      else listing.price_minor
    end,
    found_row.currency_code, listing.pricing_unit,
    btrim(request_booking.address), request_booking.lat, request_booking.lng,
    nullif(btrim(request_booking.notes), ''), request_booking.idempotency_key,
    least(now() + settings.request_ttl, request_booking.starts_at)
  )
  on conflict do nothing
  returning b.* into result;
  if not found then
    -- The same request may have arrived twice at once: then the other attempt made the
    -- booking (whichever constraint noticed first), and this one returns it.
    select b.* into existing
    from public.bookings as b
    where b.customer_id = caller and b.idempotency_key = request_booking.idempotency_key;
    if found then
      if existing.listing_id is distinct from request_booking.listing_id
         or existing.starts_at is distinct from request_booking.starts_at then
        perform private.raise_error('idempotency_key_reused');
      end if;
      return existing;
    end if;
    perform private.raise_error('slot_unavailable', jsonb_build_object('starts_at', request_booking.starts_at));
  end if;
  perform private.record_booking_event(result, 'requested', null, 'customer', caller, null);
  return result;
end;
$$;
revoke execute on function private.request_booking(uuid, timestamptz, text, double precision, double precision, text, text) from public;
grant execute on function private.request_booking(uuid, timestamptz, text, double precision, double precision, text, text) to authenticated, service_role;

-- Moves a booking through the status machine. See public.transition_booking.
create function private.transition_booking(booking_id uuid, to_status public.booking_status, reason text default null)
returns public.bookings
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  booking public.bookings;
  transition public.booking_transitions;
begin
  select b.* into booking from public.bookings as b where b.id = booking_id for update;
  if not found or to_status is null then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  transition := private.authorize_booking_transition(booking, caller, to_status, false);
  if transition.requires_reason and (reason is null or length(btrim(reason)) = 0) then
    perform private.raise_error('reason_required');
  end if;
  if reason is not null and length(reason) > 1000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'reason'));
  end if;
  return private.apply_booking_transition(booking, to_status, transition.actor, caller, reason);
end;
$$;
revoke execute on function private.transition_booking(uuid, public.booking_status, text) from public;
grant execute on function private.transition_booking(uuid, public.booking_status, text) to authenticated, service_role;

-- Moves a requested or accepted booking to another start, by either party. See
-- public.reschedule_booking.
create function private.reschedule_booking(booking_id uuid, starts_at timestamptz, reason text default null)
returns public.bookings
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  booking public.bookings;
  listing public.service_listings;
  provider public.providers;
  still_open public.service_listings;
  actor public.booking_actor;
  result public.bookings;
begin
  -- The provider's calendar first, then the booking: the order every booking write takes.
  perform private.lock_provider_calendar(b.provider_id) from public.bookings as b where b.id = booking_id;
  select b.* into booking from public.bookings as b where b.id = booking_id for update;
  if not found then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  actor := case when caller = booking.customer_id then 'customer'
                when caller = booking.provider_id then 'provider'
                when private.is_admin() then 'admin' end;
  if actor is null then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  if booking.status = 'requested' and booking.expires_at <= now() then
    perform private.raise_error('booking_expired', jsonb_build_object('booking_id', booking_id));
  end if;
  if booking.status not in ('requested', 'accepted') then
    perform private.raise_error('booking_not_reschedulable', jsonb_build_object('status', booking.status));
  end if;
  if reason is not null and length(reason) > 1000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'reason'));
  end if;
  select l.* into listing from public.service_listings as l where l.id = booking.listing_id;
  -- A new time is taken only with a provider who could take a new booking (the rule
  -- request_booking applies). A paused listing still lets its existing bookings move,
  -- so its own flag is left out; an admin may move anything.
  if actor <> 'admin' then
    select p.* into provider from public.providers as p where p.id = booking.provider_id;
    still_open := listing;
    still_open.active := true;
    perform private.check_listing_bookable(still_open, provider, private.require_service_settings(listing.market_code));
  end if;
  -- A late move is a late cancellation in disguise: the old start needs the notice too.
  if actor <> 'admin' and booking.starts_at < now() + make_interval(mins => listing.min_notice_minutes) then
    perform private.raise_error('notice_too_short', jsonb_build_object('min_notice_minutes', listing.min_notice_minutes));
  end if;
  perform private.check_booking_start(listing, reschedule_booking.starts_at);
  perform private.expire_booking_requests(booking.provider_id);
  begin
    update public.bookings as b
    set starts_at = reschedule_booking.starts_at,
        ends_at = reschedule_booking.starts_at + (booking.ends_at - booking.starts_at),
        occupied = tstzrange(reschedule_booking.starts_at - (booking.starts_at - lower(booking.occupied)),
                             reschedule_booking.starts_at + (upper(booking.occupied) - booking.starts_at)),
        expires_at = case when b.status = 'requested'
                          then least(b.expires_at, reschedule_booking.starts_at) end
    where b.id = booking.id
    returning b.* into result;
  exception when exclusion_violation then
    perform private.raise_error('slot_unavailable', jsonb_build_object('starts_at', reschedule_booking.starts_at));
  end;
  perform private.record_booking_event(result, 'rescheduled', booking.status, actor, caller, nullif(btrim(reason), ''),
    jsonb_build_object('previous_starts_at', booking.starts_at, 'previous_ends_at', booking.ends_at));
  return result;
end;
$$;
revoke execute on function private.reschedule_booking(uuid, timestamptz, text) from public;
grant execute on function private.reschedule_booking(uuid, timestamptz, text) to authenticated, service_role;

-- What a customer would get back by cancelling now, for the parties and admins.
create function private.booking_refund_quote(booking_id uuid)
returns table (refund_percent numeric, refund_minor bigint, currency_code text)
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := auth.uid();
  booking public.bookings;
begin
  if caller is null then
    perform private.raise_error('not_authenticated');
  end if;
  select b.* into booking from public.bookings as b where b.id = booking_id;
  if not found or not (caller in (booking.customer_id, booking.provider_id) or private.is_admin()) then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  return query select round(private.booking_refund_fraction(booking.id) * 100, 2),
                      private.booking_refund_minor(booking.id), booking.currency_code;
end;
$$;
revoke execute on function private.booking_refund_quote(uuid) from public;
grant execute on function private.booking_refund_quote(uuid) to authenticated, service_role;

-- API: the bookable start times of a listing between two local dates (at most 31 days).
create function public.listing_slots(listing_id uuid, from_date date, to_date date)
returns table (starts_at timestamptz, ends_at timestamptz)
stable
security invoker
set search_path = ''
language sql
as $$ select * from private.listing_slots(listing_id, from_date, to_date); $$;
revoke execute on function public.listing_slots(uuid, date, date) from public;
grant execute on function public.listing_slots(uuid, date, date) to anon, authenticated, service_role;

-- API: a customer requests a listing at a start time, at an address. The price comes
-- from the listing; the time must be free, inside the provider's hours and with the
-- listing's notice. Retrying with the same idempotency key returns the same booking.
create function public.request_booking(
  listing_id uuid,
  starts_at timestamptz,
  address text,
  lat double precision,
  lng double precision,
  idempotency_key text,
  notes text default null
)
returns public.bookings
volatile
security invoker
set search_path = ''
language sql
as $$ select private.request_booking(listing_id, starts_at, address, lat, lng, idempotency_key, notes); $$;
revoke execute on function public.request_booking(uuid, timestamptz, text, double precision, double precision, text, text) from public, anon;
grant execute on function public.request_booking(uuid, timestamptz, text, double precision, double precision, text, text) to authenticated, service_role;

-- API: the customer, provider or an admin moves a booking to another status, as
-- booking_transitions allows them; some transitions need a reason.
create function public.transition_booking(booking_id uuid, to_status public.booking_status, reason text default null)
returns public.bookings
volatile
security invoker
set search_path = ''
language sql
as $$ select private.transition_booking(booking_id, to_status, reason); $$;
revoke execute on function public.transition_booking(uuid, public.booking_status, text) from public, anon;
grant execute on function public.transition_booking(uuid, public.booking_status, text) to authenticated, service_role;

-- API: either party moves a requested or accepted booking to another free start.
create function public.reschedule_booking(booking_id uuid, starts_at timestamptz, reason text default null)
returns public.bookings
volatile
security invoker
set search_path = ''
language sql
as $$ select private.reschedule_booking(booking_id, starts_at, reason); $$;
revoke execute on function public.reschedule_booking(uuid, timestamptz, text) from public, anon;
grant execute on function public.reschedule_booking(uuid, timestamptz, text) to authenticated, service_role;

-- API: what cancelling now would refund, under the market's policy.
create function public.booking_refund_quote(booking_id uuid)
returns table (refund_percent numeric, refund_minor bigint, currency_code text)
stable
security invoker
set search_path = ''
language sql
as $$ select * from private.booking_refund_quote(booking_id); $$;
revoke execute on function public.booking_refund_quote(uuid) from public, anon;
grant execute on function public.booking_refund_quote(uuid) to authenticated, service_role;

-- API: the caller's bookings as customer and as provider merged into one list, latest
-- start first, a page at a time: pass the last row's starts_at and id to get the next
-- page. One side alone is a plain table read (the bookings indexes above show how);
-- this is for the screen that shows both, for someone who books and provides. Each
-- side reads its own index, so this stays fast however many bookings there are (a
-- bare select on bookings leaves the planner only RLS to go by). Without as_role, the
-- provider side is read for callers whose token carries the provider role (as every
-- provider action requires), so a customer's request is one index range.
create function public.my_bookings(
  as_role text default null,
  before timestamptz default null,
  before_id uuid default null,
  page_size integer default 20
)
returns setof public.bookings
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  me uuid := auth.uid();
  page integer := least(greatest(page_size, 1), 100);
  -- Rows strictly before (before, before_id) in (starts_at desc, id desc) order.
  last_id uuid := coalesce(before_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
begin
  -- PL/pgSQL keeps these plans for the session; a SQL function with search_path set
  -- would be planned again on every call.
  if as_role = 'customer' or (as_role is null and not private.has_role('provider')) then
    return query
    select b.*
    from public.bookings as b
    where b.customer_id = me
      and (before is null or (b.starts_at, b.id) < (before, last_id))
    order by b.starts_at desc, b.id desc
    limit page;
  elsif as_role = 'provider' then
    return query
    select b.*
    from public.bookings as b
    where b.provider_id = me
      and (before is null or (b.starts_at, b.id) < (before, last_id))
    order by b.starts_at desc, b.id desc
    limit page;
  elsif as_role is null then
    return query
    select page_rows.*
    from (
      (select b.*
       from public.bookings as b
       where b.customer_id = me
         and (before is null or (b.starts_at, b.id) < (before, last_id))
       order by b.starts_at desc, b.id desc
       limit page)
      union all
      (select b.*
       from public.bookings as b
       where b.provider_id = me
         and (before is null or (b.starts_at, b.id) < (before, last_id))
       order by b.starts_at desc, b.id desc
       limit page)
    ) as page_rows
    order by page_rows.starts_at desc, page_rows.id desc
    limit page;
  end if;
end;
$$;
revoke execute on function public.my_bookings(text, timestamptz, uuid, integer) from public, anon;
grant execute on function public.my_bookings(text, timestamptz, uuid, integer) to authenticated;

-- ---------------------------------------------------------------------------
-- Jobs
-- ---------------------------------------------------------------------------

-- With pg_cron, requests expire on the minute; without it they expire lazily (before
-- every request or move for the provider, and slot lists ignore them meanwhile).
do $cron$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    execute $job$select cron.schedule('soko-expire-booking-requests', '* * * * *',
                                      'select private.expire_booking_requests()')$job$;
  end if;
end
$cron$;

-- Providers: business profiles, their private base location, the verification
-- workflow behind the `verified` badge, service listings, and weekly availability
-- with dated exceptions in the provider's own time zone.
--
-- What anyone may see of a provider lives in `providers`; where they live
-- (provider_locations) and their identity documents (provider_verifications and the
-- verification-documents bucket) only they and admins see. Search and booking reach
-- the location through security-definer functions that return distances, never
-- coordinates.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.verification_status as enum ('unverified', 'pending', 'verified', 'rejected');
create type public.verification_request_status as enum ('pending', 'approved', 'rejected', 'revoked');
create type public.pricing_unit as enum ('fixed', 'hourly', 'per_visit');
create type public.availability_exception_kind as enum ('time_off', 'extra_hours');

-- ---------------------------------------------------------------------------
-- Helpers the tables' constraints need
-- ---------------------------------------------------------------------------

-- Whether every element is a trimmed, non-empty label of at most max_length characters
-- and there are at most max_items of them.
create function private.is_label_list(labels text[], max_items integer, max_length integer)
returns boolean
immutable
security invoker
set search_path = ''
language sql
as $$
  select coalesce(cardinality(labels), 0) <= max_items
     and not exists (
       select from unnest(labels) as l (label)
       where l.label is null or length(l.label) not between 1 and max_length or l.label <> btrim(l.label)
     );
$$;
grant execute on function private.is_label_list(text[], integer, integer) to anon, authenticated, service_role;

-- Whether every Storage object name lies inside the owner's folder ('<owner id>/...').
create function private.paths_in_folder(paths text[], owner uuid)
returns boolean
immutable
security invoker
set search_path = ''
language sql
as $$
  select not exists (
    select from unnest(paths) as p (path)
    where p.path is null or p.path not like owner::text || '/_%' or p.path ~ '(^|/)\.\.(/|$)'
  );
$$;
grant execute on function private.paths_in_folder(text[], uuid) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- A provider's public business profile. Changed through save_provider_profile; the
-- badge and the rating aggregate only by SQL.
create table public.providers (
  id uuid primary key references public.profiles (id) on delete cascade,
  market_code text not null references public.markets (code),
  business_name text not null,
  bio jsonb not null default '{}',
  skills text[] not null default '{}',
  certifications text[] not null default '{}',
  years_experience smallint not null default 0,
  -- How far from their base the provider travels, unless a listing says otherwise.
  service_radius_m integer not null default 10000,
  -- Weekly availability is written in this zone's local time.
  time_zone text not null,
  active boolean not null default true,
  verification_status public.verification_status not null default 'unverified',
  verified boolean generated always as (verification_status = 'verified') stored,
  verified_at timestamptz,
  -- Published, visible reviews by customers: kept exact by a trigger on reviews, one
  -- addition or subtraction per review change (never an AVG over all reviews).
  rating_count integer not null default 0,
  rating_sum bigint not null default 0,
  rating_average numeric(3, 2) generated always as (
    case when rating_count > 0 then round(rating_sum::numeric / rating_count, 2) end) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint provider_business_name_length check (
    length(business_name) between 1 and 100 and business_name = btrim(business_name)),
  constraint provider_bio_is_translated check (bio = '{}'::jsonb or private.is_translated_text(bio, 2000)),
  constraint provider_skills_are_labels check (private.is_label_list(skills, 30, 50)),
  constraint provider_certifications_are_labels check (private.is_label_list(certifications, 20, 120)),
  constraint provider_experience_in_range check (years_experience between 0 and 80),
  constraint provider_radius_in_range check (service_radius_m between 100 and 200000),
  constraint provider_time_zone_is_valid check (private.is_time_zone(time_zone)),
  constraint provider_rating_count_not_negative check (rating_count >= 0),
  constraint provider_rating_sum_in_range check (rating_sum between rating_count and 5 * rating_count::bigint)
);
create index providers_market_code on public.providers (market_code);
-- Search by rating: best first (unrated last), one provider's listings together.
create index providers_rating on public.providers ((coalesce(rating_average, 0)) desc, id) where active;

alter table public.providers enable row level security;
revoke all on table public.providers from anon, authenticated;
grant select on table public.providers to anon, authenticated;
grant all on table public.providers to service_role;

-- Where a provider's base is: only they and admins see it.
create table public.provider_locations (
  provider_id uuid primary key references public.providers (id) on delete cascade,
  lat double precision not null,
  lng double precision not null,
  -- The point search measures from: the base snapped to a grid of 0.002° (about 220 m
  -- north-south), so that no sequence of searches (narrowing the radius, or moving the
  -- point searched from until the provider drops out of reach) can pin down where the
  -- provider lives more closely than that. Booking checks coverage from the exact base.
  location extensions.earth generated always as (
    extensions.ll_to_earth(round(lat / 0.002) * 0.002, round(lng / 0.002) * 0.002)) stored,
  updated_at timestamptz not null default now(),
  constraint provider_location_is_on_earth check (lat between -90 and 90 and lng between -180 and 180)
);
-- Radius search (earth_box @>) and nearest-first scans (<->) on the same GiST index.
create index provider_locations_location on public.provider_locations using gist (location);

alter table public.provider_locations enable row level security;
revoke all on table public.provider_locations from anon, authenticated;
grant select on table public.provider_locations to authenticated;
grant all on table public.provider_locations to service_role;

-- Each submission of identity or licence documents and the admin's decision.
create table public.provider_verifications (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references public.providers (id) on delete cascade,
  status public.verification_request_status not null default 'pending',
  -- Objects in the verification-documents bucket, inside the provider's folder.
  document_paths text[] not null default '{}',
  note text,
  submitted_at timestamptz not null default now(),
  decided_at timestamptz,
  decided_by uuid references auth.users (id) on delete set null,
  decision_reason text,
  constraint verification_documents_in_own_folder check (private.paths_in_folder(document_paths, provider_id)),
  constraint verification_has_documents check (status = 'revoked' or cardinality(document_paths) between 1 and 10),
  constraint verification_note_length check (note is null or length(note) <= 1000),
  constraint verification_decision_is_recorded check ((status = 'pending') = (decided_at is null)),
  constraint verification_rejection_has_reason check (
    status not in ('rejected', 'revoked') or length(btrim(decision_reason)) > 0)
);
create index provider_verifications_provider_id on public.provider_verifications (provider_id, submitted_at desc);
create index provider_verifications_decided_by on public.provider_verifications (decided_by);
-- The admins' queue, oldest first; and at most one open submission per provider.
create unique index provider_verifications_one_pending on public.provider_verifications (provider_id)
  where status = 'pending';
create index provider_verifications_queue on public.provider_verifications (submitted_at)
  where status = 'pending';

alter table public.provider_verifications enable row level security;
revoke all on table public.provider_verifications from anon, authenticated;
grant select on table public.provider_verifications to authenticated;
grant all on table public.provider_verifications to service_role;

-- What a provider offers. Providers write their own listings directly (the columns
-- granted below); provider_id is always the caller and market_code follows the provider.
create table public.service_listings (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null default auth.uid() references public.providers (id) on delete cascade,
  category_id uuid not null references public.service_categories (id),
  market_code text not null references public.markets (code),
  title jsonb not null,
  description jsonb not null default '{}',
  -- In minor units of the market's currency; per hour when pricing_unit = 'hourly'.
  price_minor bigint not null,
  pricing_unit public.pricing_unit not null default 'fixed',
  duration_minutes integer not null default 60,
  -- Travel or preparation time kept free around each booking.
  buffer_before_minutes integer not null default 0,
  buffer_after_minutes integer not null default 0,
  -- How long before the start a booking must be requested.
  min_notice_minutes integer not null default 120,
  -- How far from the provider's base this service is offered; null: the provider's radius.
  coverage_radius_m integer,
  active boolean not null default true,
  -- Objects in the service-media bucket, inside the provider's folder.
  media_paths text[] not null default '{}',
  search_text text generated always as (
    private.translations_text(title) || ' ' || private.translations_text(description)) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint listing_title_is_translated check (private.is_translated_text(title, 120)),
  constraint listing_description_is_translated check (
    description = '{}'::jsonb or private.is_translated_text(description, 4000)),
  constraint listing_price_is_not_negative check (price_minor >= 0),
  constraint listing_price_in_range check (price_minor <= 1000000000000),
  constraint listing_duration_in_range check (duration_minutes between 5 and 1440),
  constraint listing_buffers_in_range check (
    buffer_before_minutes between 0 and 240 and buffer_after_minutes between 0 and 240),
  constraint listing_notice_in_range check (min_notice_minutes between 0 and 43200),
  constraint listing_coverage_in_range check (coverage_radius_m is null or coverage_radius_m between 100 and 200000),
  constraint listing_media_in_provider_folder check (
    cardinality(media_paths) <= 10 and private.paths_in_folder(media_paths, provider_id))
);
create index service_listings_provider_id on public.service_listings (provider_id);
create index service_listings_category_id on public.service_listings (category_id, price_minor, provider_id, id) where active;
create index service_listings_market_code on public.service_listings (market_code);
-- Search by price, cheapest first, in the order search pages through.
create index service_listings_price on public.service_listings (price_minor, provider_id, id) where active;
create index service_listings_search_text on public.service_listings using gin (search_text extensions.gin_trgm_ops);

alter table public.service_listings enable row level security;
revoke all on table public.service_listings from anon, authenticated;
grant select on table public.service_listings to anon, authenticated;
grant insert (category_id, title, description, price_minor, pricing_unit, duration_minutes, buffer_before_minutes,
              buffer_after_minutes, min_notice_minutes, coverage_radius_m, active, media_paths)
  on table public.service_listings to authenticated;
grant update (category_id, title, description, price_minor, pricing_unit, duration_minutes, buffer_before_minutes,
              buffer_after_minutes, min_notice_minutes, coverage_radius_m, active, media_paths)
  on table public.service_listings to authenticated;
grant all on table public.service_listings to service_role;

-- Weekly opening hours in the provider's local time. ISO weekday: 1 = Monday. A rule
-- may end at 24:00; a shift past midnight is two rules.
create table public.availability_rules (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null default auth.uid() references public.providers (id) on delete cascade,
  weekday smallint not null,
  start_time time not null,
  end_time time not null,
  valid_from date,
  valid_until date,
  created_at timestamptz not null default now(),
  constraint availability_rule_weekday_is_iso check (weekday between 1 and 7),
  constraint availability_rule_ends_after_start check (start_time < end_time),
  constraint availability_rule_validity_is_ordered check (valid_from is null or valid_until is null or valid_from <= valid_until)
);
create index availability_rules_provider_id on public.availability_rules (provider_id, weekday);

alter table public.availability_rules enable row level security;
revoke all on table public.availability_rules from anon, authenticated;
grant select on table public.availability_rules to anon, authenticated;
grant insert (weekday, start_time, end_time, valid_from, valid_until) on table public.availability_rules to authenticated;
grant update (weekday, start_time, end_time, valid_from, valid_until) on table public.availability_rules to authenticated;
grant delete on table public.availability_rules to authenticated;
grant all on table public.availability_rules to service_role;

-- Dated changes to the weekly hours, in local time: time off closes, extra hours open.
create table public.availability_exceptions (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null default auth.uid() references public.providers (id) on delete cascade,
  kind public.availability_exception_kind not null,
  on_date date not null,
  start_time time not null default '00:00',
  end_time time not null default '24:00',
  note text,
  created_at timestamptz not null default now(),
  constraint availability_exception_ends_after_start check (start_time < end_time),
  constraint availability_exception_note_length check (note is null or length(note) <= 500)
);
create index availability_exceptions_provider_id on public.availability_exceptions (provider_id, on_date);

alter table public.availability_exceptions enable row level security;
revoke all on table public.availability_exceptions from anon, authenticated;
grant select on table public.availability_exceptions to authenticated;
grant insert (kind, on_date, start_time, end_time, note) on table public.availability_exceptions to authenticated;
grant update (kind, on_date, start_time, end_time, note) on table public.availability_exceptions to authenticated;
grant delete on table public.availability_exceptions to authenticated;
grant all on table public.availability_exceptions to service_role;

create trigger providers_touch_updated_at before update on public.providers
  for each row execute function private.touch_updated_at();
create trigger provider_locations_touch_updated_at before update on public.provider_locations
  for each row execute function private.touch_updated_at();
create trigger service_listings_touch_updated_at before update on public.service_listings
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

insert into private.error_catalogue (code, sqlstate, message) values
  ('provider_not_found', 'PT404', 'No such provider, or no provider profile yet.'),
  ('provider_role_required', '42501', 'Only providers can do this.'),
  ('documents_required', '22023', 'Upload at least one document first (at most ten).'),
  ('document_not_found', '22023', 'A document is missing: upload it into your own folder first.'),
  ('verification_pending', 'PT409', 'A verification request is already waiting for review.'),
  ('verification_not_found', 'PT404', 'No such verification request.'),
  ('verification_not_pending', 'PT409', 'This verification request has already been decided.'),
  ('listing_not_found', 'PT404', 'No such listing.'),
  ('listing_inactive', 'PT409', 'This listing is not available right now.'),
  ('provider_inactive', 'PT409', 'This provider is not taking bookings right now.'),
  ('provider_not_verified', 'PT409', 'This provider is not verified yet.');

-- The first statement of provider functions: an active user with the provider role,
-- by both the token and the table.
create function private.require_provider()
returns uuid
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
begin
  if not (private.has_role('provider')
          and exists (select from public.user_roles as r where r.user_id = caller and r.role = 'provider')) then
    perform private.raise_error('provider_role_required');
  end if;
  return caller;
end;
$$;
revoke execute on function private.require_provider() from public;
grant execute on function private.require_provider() to authenticated, service_role;

-- Names in `paths` that are not objects of `bucket` inside the owner's folder.
create function private.missing_objects(bucket text, owner uuid, paths text[])
returns text[]
stable
security definer
set search_path = ''
language sql
as $$
  select coalesce(array_agg(p.path), '{}')
  from unnest(paths) as p (path)
  where p.path is null
     or not private.paths_in_folder(array[p.path], owner)
     or not exists (select from storage.objects as o where o.bucket_id = bucket and o.name = p.path);
$$;
revoke execute on function private.missing_objects(text, uuid, text[]) from public;
grant execute on function private.missing_objects(text, uuid, text[]) to authenticated, service_role;

-- A new listing belongs to the provider's market and to an active category.
create function private.prepare_listing()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  select p.market_code into new.market_code from public.providers as p where p.id = new.provider_id;
  if not found then
    perform private.raise_error('provider_not_found', jsonb_build_object('provider_id', new.provider_id));
  end if;
  if (tg_op = 'INSERT' or new.category_id is distinct from old.category_id)
     and not exists (select from public.service_categories as c where c.id = new.category_id and c.active) then
    perform private.raise_error('category_not_found', jsonb_build_object('category_id', new.category_id));
  end if;
  return new;
end;
$$;
revoke execute on function private.prepare_listing() from public;

create trigger service_listings_prepare
  before insert or update of provider_id, category_id, market_code on public.service_listings
  for each row execute function private.prepare_listing();

-- The provider's open hours between two instants: weekly rules and extra hours on
-- every local date the period touches, minus time off, each local wall-clock time
-- turned into an instant in the provider's zone on its own date (so DST shifts the
-- instants, never the local hours). `zone` saves a lookup when the caller has it.
-- Statement by statement in PL/pgSQL: plans kept for the session, and exceptions,
-- which few providers have on any given day, are read only when there are some.
create function private.provider_windows(provider uuid, from_ts timestamptz, to_ts timestamptz, zone text default null)
returns tstzmultirange
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  first_day date;
  last_day date;
  open_hours tstzmultirange;
  time_off tstzmultirange;
begin
  if from_ts >= to_ts then
    return '{}';
  end if;
  if zone is null then
    select p.time_zone into zone from public.providers as p where p.id = provider;
  end if;
  first_day := (from_ts at time zone zone)::date - 1;
  last_day := (to_ts at time zone zone)::date;
  select coalesce(range_agg(tstzrange((d.day + r.start_time) at time zone zone, (d.day + r.end_time) at time zone zone)),
                  '{}'::tstzmultirange)
  into open_hours
  from generate_series(first_day, last_day, interval '1 day') as g (ts)
  cross join lateral (select g.ts::date as day) as d
  join public.availability_rules as r
    on r.provider_id = provider
   and r.weekday = extract(isodow from d.day)::smallint
   and (r.valid_from is null or r.valid_from <= d.day)
   and (r.valid_until is null or d.day <= r.valid_until);
  if exists (select from public.availability_exceptions as e
             where e.provider_id = provider and e.on_date between first_day and last_day) then
    select open_hours
             + coalesce(range_agg(tstzrange((e.on_date + e.start_time) at time zone zone, (e.on_date + e.end_time) at time zone zone))
                          filter (where e.kind = 'extra_hours'), '{}'::tstzmultirange),
           coalesce(range_agg(tstzrange((e.on_date + e.start_time) at time zone zone, (e.on_date + e.end_time) at time zone zone))
                      filter (where e.kind = 'time_off'), '{}'::tstzmultirange)
    into open_hours, time_off
    from public.availability_exceptions as e
    where e.provider_id = provider and e.on_date between first_day and last_day;
    open_hours := open_hours - time_off;
  end if;
  return open_hours * tstzmultirange(tstzrange(from_ts, to_ts));
end;
$$;
revoke execute on function private.provider_windows(uuid, timestamptz, timestamptz, text) from public;
grant execute on function private.provider_windows(uuid, timestamptz, timestamptz, text) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Everyone sees active providers' public profiles; a provider sees their own, admins all.
create policy providers_select_everyone on public.providers
  for select to anon, authenticated
  using (active or id = (select auth.uid()) or (select private.has_role('admin')));

-- A provider and admins see the provider's base location.
create policy provider_locations_select_owner_or_admin on public.provider_locations
  for select to authenticated
  using (provider_id = (select auth.uid()) or (select private.has_role('admin')));

-- A provider and admins see the provider's verification requests.
create policy provider_verifications_select_owner_or_admin on public.provider_verifications
  for select to authenticated
  using (provider_id = (select auth.uid()) or (select private.has_role('admin')));

-- Everyone sees active listings; a provider sees their own, admins all.
create policy service_listings_select_everyone on public.service_listings
  for select to anon, authenticated
  using (active or provider_id = (select auth.uid()) or (select private.has_role('admin')));

-- Providers create listings for themselves.
create policy service_listings_insert_owner on public.service_listings
  for insert to authenticated
  with check (provider_id = (select auth.uid()) and (select private.has_role('provider')));

-- Providers change their own listings.
create policy service_listings_update_owner on public.service_listings
  for update to authenticated
  using (provider_id = (select auth.uid()))
  with check (provider_id = (select auth.uid()) and (select private.has_role('provider')));

-- Weekly hours are public, like a shop's opening hours.
create policy availability_rules_select_everyone on public.availability_rules
  for select to anon, authenticated
  using (true);

-- Providers add their own weekly hours.
create policy availability_rules_insert_owner on public.availability_rules
  for insert to authenticated
  with check (provider_id = (select auth.uid()) and (select private.has_role('provider')));

-- Providers change their own weekly hours.
create policy availability_rules_update_owner on public.availability_rules
  for update to authenticated
  using (provider_id = (select auth.uid()))
  with check (provider_id = (select auth.uid()));

-- Providers remove their own weekly hours.
create policy availability_rules_delete_owner on public.availability_rules
  for delete to authenticated
  using (provider_id = (select auth.uid()));

-- A provider and admins see the provider's dated exceptions (notes may be personal).
create policy availability_exceptions_select_owner_or_admin on public.availability_exceptions
  for select to authenticated
  using (provider_id = (select auth.uid()) or (select private.has_role('admin')));

-- Providers add their own exceptions.
create policy availability_exceptions_insert_owner on public.availability_exceptions
  for insert to authenticated
  with check (provider_id = (select auth.uid()) and (select private.has_role('provider')));

-- Providers change their own exceptions.
create policy availability_exceptions_update_owner on public.availability_exceptions
  for update to authenticated
  using (provider_id = (select auth.uid()))
  with check (provider_id = (select auth.uid()));

-- Providers remove their own exceptions.
create policy availability_exceptions_delete_owner on public.availability_exceptions
  for delete to authenticated
  using (provider_id = (select auth.uid()));

-- Suspended users write nothing.
create policy service_listings_insert_active_users on public.service_listings
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy service_listings_update_active_users on public.service_listings
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy availability_rules_insert_active_users on public.availability_rules
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy availability_rules_update_active_users on public.availability_rules
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy availability_rules_delete_active_users on public.availability_rules
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));
create policy availability_exceptions_insert_active_users on public.availability_exceptions
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy availability_exceptions_update_active_users on public.availability_exceptions
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy availability_exceptions_delete_active_users on public.availability_exceptions
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- Creates or updates the caller's provider profile and base location in one step.
create function private.save_provider_profile(
  business_name text,
  time_zone text,
  lat double precision,
  lng double precision,
  service_radius_m integer default 10000,
  bio jsonb default '{}',
  skills text[] default '{}',
  certifications text[] default '{}',
  years_experience integer default 0,
  active boolean default true
)
returns public.providers
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_provider();
  market text;
  result public.providers;
begin
  select p.market_code into market from public.profiles as p where p.id = caller;
  perform private.require_service_settings(market);
  if save_provider_profile.lat is null or save_provider_profile.lng is null
     or save_provider_profile.lat not between -90 and 90 or save_provider_profile.lng not between -180 and 180 then
    perform private.raise_error('invalid_location');
  end if;
  if save_provider_profile.time_zone is null or not private.is_time_zone(save_provider_profile.time_zone) then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'time_zone'));
  end if;

  insert into public.providers as pr (id, market_code, business_name, bio, skills, certifications,
                                      years_experience, service_radius_m, time_zone, active)
  values (caller, market, btrim(save_provider_profile.business_name), coalesce(save_provider_profile.bio, '{}'),
          coalesce(save_provider_profile.skills, '{}'), coalesce(save_provider_profile.certifications, '{}'),
          coalesce(save_provider_profile.years_experience, 0), coalesce(save_provider_profile.service_radius_m, 10000),
          save_provider_profile.time_zone, coalesce(save_provider_profile.active, true))
  on conflict (id) do update
  set business_name = excluded.business_name,
      bio = excluded.bio,
      skills = excluded.skills,
      certifications = excluded.certifications,
      years_experience = excluded.years_experience,
      service_radius_m = excluded.service_radius_m,
      time_zone = excluded.time_zone,
      active = excluded.active
  returning pr.* into result;

  insert into public.provider_locations as l (provider_id, lat, lng)
  values (caller, save_provider_profile.lat, save_provider_profile.lng)
  on conflict (provider_id) do update set lat = excluded.lat, lng = excluded.lng;
  return result;
end;
$$;
revoke execute on function private.save_provider_profile(text, text, double precision, double precision, integer, jsonb, text[], text[], integer, boolean) from public;
grant execute on function private.save_provider_profile(text, text, double precision, double precision, integer, jsonb, text[], text[], integer, boolean) to authenticated, service_role;

-- A provider submits documents (already uploaded to verification-documents) for review.
create function private.submit_verification(document_paths text[], note text default null)
returns public.provider_verifications
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_provider();
  missing text[];
  result public.provider_verifications;
begin
  if not exists (select from public.providers as p where p.id = caller) then
    perform private.raise_error('provider_not_found', jsonb_build_object('provider_id', caller));
  end if;
  if coalesce(cardinality(document_paths), 0) not between 1 and 10 then
    perform private.raise_error('documents_required');
  end if;
  missing := private.missing_objects('verification-documents', caller, document_paths);
  if cardinality(missing) > 0 then
    perform private.raise_error('document_not_found', jsonb_build_object('paths', missing));
  end if;
  -- One open request per provider; the unique index settles a race between two.
  begin
    insert into public.provider_verifications as v (provider_id, document_paths, note)
    values (caller, submit_verification.document_paths, nullif(btrim(submit_verification.note), ''))
    returning v.* into result;
  exception when unique_violation then
    perform private.raise_error('verification_pending');
  end;
  update public.providers as p
  set verification_status = 'pending'
  where p.id = caller and p.verification_status <> 'verified';
  return result;
end;
$$;
revoke execute on function private.submit_verification(text[], text) from public;
grant execute on function private.submit_verification(text[], text) to authenticated, service_role;

-- Admins decide a pending request, with a reason either way (it goes to the audit log):
-- approval gives the badge; a rejection leaves a badge the provider already had from an
-- earlier approval.
create function private.decide_verification(verification_id uuid, approve boolean, reason text)
returns public.provider_verifications
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  request public.provider_verifications;
begin
  if reason is null or length(btrim(reason)) = 0 then
    perform private.raise_error('reason_required');
  end if;
  perform private.set_audit_reason(btrim(reason));
  select v.* into request from public.provider_verifications as v where v.id = verification_id for update;
  if not found then
    perform private.raise_error('verification_not_found', jsonb_build_object('verification_id', verification_id));
  end if;
  if request.status <> 'pending' then
    perform private.raise_error('verification_not_pending', jsonb_build_object('status', request.status));
  end if;
  update public.provider_verifications as v
  set status = case when approve then 'approved'::public.verification_request_status else 'rejected' end,
      decided_at = now(),
      decided_by = caller,
      decision_reason = nullif(btrim(reason), '')
  where v.id = verification_id
  returning v.* into request;
  update public.providers as p
  set verification_status = case when approve then 'verified'::public.verification_status
                                 when p.verification_status = 'verified' then 'verified'
                                 else 'rejected' end,
      verified_at = case when approve then now() else p.verified_at end
  where p.id = request.provider_id;
  return request;
end;
$$;
revoke execute on function private.decide_verification(uuid, boolean, text) from public;
grant execute on function private.decide_verification(uuid, boolean, text) to authenticated, service_role;

-- Admins take the badge away, with a reason kept in the verification history.
create function private.revoke_verification(provider_id uuid, reason text)
returns public.providers
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  result public.providers;
begin
  if reason is null or length(btrim(reason)) = 0 then
    perform private.raise_error('reason_required');
  end if;
  perform private.set_audit_reason(reason);
  update public.providers as p
  set verification_status = 'unverified', verified_at = null
  where p.id = revoke_verification.provider_id
  returning p.* into result;
  if not found then
    perform private.raise_error('provider_not_found', jsonb_build_object('provider_id', provider_id));
  end if;
  -- A request still waiting is closed by the revocation.
  update public.provider_verifications as v
  set status = 'rejected', decided_at = now(), decided_by = caller, decision_reason = btrim(reason)
  where v.provider_id = revoke_verification.provider_id and v.status = 'pending';
  insert into public.provider_verifications (provider_id, status, decided_at, decided_by, decision_reason)
  values (revoke_verification.provider_id, 'revoked', now(), caller, btrim(reason));
  return result;
end;
$$;
revoke execute on function private.revoke_verification(uuid, text) from public;
grant execute on function private.revoke_verification(uuid, text) to authenticated, service_role;

-- API: a provider creates or updates their business profile and base location.
create function public.save_provider_profile(
  business_name text,
  time_zone text,
  lat double precision,
  lng double precision,
  service_radius_m integer default 10000,
  bio jsonb default '{}',
  skills text[] default '{}',
  certifications text[] default '{}',
  years_experience integer default 0,
  active boolean default true
)
returns public.providers
volatile
security invoker
set search_path = ''
language sql
as $$
  select private.save_provider_profile(business_name, time_zone, lat, lng, service_radius_m, bio, skills,
                                       certifications, years_experience, active);
$$;
revoke execute on function public.save_provider_profile(text, text, double precision, double precision, integer, jsonb, text[], text[], integer, boolean) from public, anon;
grant execute on function public.save_provider_profile(text, text, double precision, double precision, integer, jsonb, text[], text[], integer, boolean) to authenticated, service_role;

-- API: a provider asks for the verified badge with documents they uploaded.
create function public.submit_verification(document_paths text[], note text default null)
returns public.provider_verifications
volatile
security invoker
set search_path = ''
language sql
as $$ select private.submit_verification(document_paths, note); $$;
revoke execute on function public.submit_verification(text[], text) from public, anon;
grant execute on function public.submit_verification(text[], text) to authenticated, service_role;

-- API: admins approve a verification request, with a reason (audited); the provider
-- gets the badge.
create function public.approve_verification(verification_id uuid, reason text)
returns public.provider_verifications
volatile
security invoker
set search_path = ''
language sql
as $$ select private.decide_verification(verification_id, true, reason); $$;
revoke execute on function public.approve_verification(uuid, text) from public, anon;
grant execute on function public.approve_verification(uuid, text) to authenticated, service_role;

-- API: admins reject a verification request with a reason the provider sees.
create function public.reject_verification(verification_id uuid, reason text)
returns public.provider_verifications
volatile
security invoker
set search_path = ''
language sql
as $$ select private.decide_verification(verification_id, false, reason); $$;
revoke execute on function public.reject_verification(uuid, text) from public, anon;
grant execute on function public.reject_verification(uuid, text) to authenticated, service_role;

-- API: admins take a provider's badge away, with a reason.
create function public.revoke_verification(provider_id uuid, reason text)
returns public.providers
volatile
security invoker
set search_path = ''
language sql
as $$ select private.revoke_verification(provider_id, reason); $$;
revoke execute on function public.revoke_verification(uuid, text) from public, anon;
grant execute on function public.revoke_verification(uuid, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Storage: listing media (public)
-- ---------------------------------------------------------------------------

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('service-media', 'service-media', true, 5 * 1024 * 1024, array['image/jpeg', 'image/png', 'image/webp'])
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- Providers read their own listing media (Storage needs it for upserts); everyone
-- else gets it by public URL.
create policy objects_select_service_media_owner on storage.objects
  for select to authenticated
  using (bucket_id = 'service-media' and private.is_own_object(name));

-- Active providers upload into their own folder.
create policy objects_insert_service_media_owner on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'service-media'
    and private.is_own_object(name)
    and (select private.has_role('provider'))
    and (select private.is_active_user())
  );

-- Active providers replace their own media.
create policy objects_update_service_media_owner on storage.objects
  for update to authenticated
  using (bucket_id = 'service-media' and private.is_own_object(name) and (select private.is_active_user()))
  with check (bucket_id = 'service-media' and private.is_own_object(name));

-- Active providers delete their own media.
create policy objects_delete_service_media_owner on storage.objects
  for delete to authenticated
  using (bucket_id = 'service-media' and private.is_own_object(name) and (select private.is_active_user()));

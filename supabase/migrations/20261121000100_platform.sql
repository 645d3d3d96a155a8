-- Platform: the private schema, extensions, and the one error catalogue every SQL
-- function raises from.
--
-- Errors reach clients through PostgREST as {code: <sqlstate>, message, details, hint}.
-- Soko puts its stable, machine-readable error code in `hint` (for example
-- 'account_suspended'), picks SQLSTATEs that PostgREST already maps to the right
-- HTTP status (42501 → 401/403, PTnnn → nnn, 22023 → 400), and the edge
-- functions render the same errors as {error: {code, message, details}}.

create extension if not exists btree_gist with schema extensions;
create extension if not exists citext with schema extensions;
create extension if not exists pg_trgm with schema extensions;
create extension if not exists cube with schema extensions;
create extension if not exists earthdistance with schema extensions;

-- pg_cron runs the periodic jobs (expiring requests, publishing reviews, sending
-- notifications, releasing escrow) wherever it is available, as on Supabase, where it
-- is created in pg_catalog. Elsewhere (or where it is not preloaded) the jobs run
-- lazily and from payments-reconcile.
do $cron$
begin
  if exists (select from pg_available_extensions where name = 'pg_cron') then
    begin
      create extension if not exists pg_cron with schema pg_catalog;
    exception when others then
      raise notice 'pg_cron is not usable here (%): periodic jobs run lazily and from payments-reconcile', sqlerrm;
    end;
  end if;
end
$cron$;

-- Helpers that bypass RLS or are not part of the API live here; PostgREST does not
-- expose it. Policies call some of these helpers, so API roles get usage on the
-- schema and execute on exactly those helpers.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

-- Functions are executable by PUBLIC by default, and Supabase's default privileges
-- grant them to the API roles in public: deny by default instead. (PUBLIC's execute is
-- a global default, so it can only be revoked globally, not per schema.)
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- ---------------------------------------------------------------------------
-- Error catalogue
-- ---------------------------------------------------------------------------

create table private.error_catalogue (
  code text primary key,
  sqlstate text not null,
  message text not null,
  constraint error_code_is_snake_case check (code ~ '^[a-z][a-z0-9_]{2,62}$'),
  constraint error_sqlstate_is_valid check (sqlstate ~ '^[0-9A-Z]{5}$'),
  constraint error_message_is_present check (length(message) between 1 and 300)
);
-- No RLS: the API roles have no grant on it and PostgREST does not expose private;
-- only private.raise_error (security definer) reads it.
revoke all on table private.error_catalogue from public, anon, authenticated;
grant select on table private.error_catalogue to service_role;

comment on table private.error_catalogue is
  'Stable error codes raised by Soko SQL functions. SQLSTATE picks the HTTP status PostgREST answers with; the code travels in the hint.';

insert into private.error_catalogue (code, sqlstate, message) values
  ('not_authenticated', 'PT401', 'Sign in to do this.'),
  ('forbidden', '42501', 'You are not allowed to do this.'),
  ('account_suspended', 'PT403', 'Your account is suspended: you can read but not change anything.'),
  ('not_found', 'PT404', 'Not found.'),
  ('invalid_input', '22023', 'The request is not valid.'),
  ('conflict', 'PT409', 'This conflicts with the current state.'),
  ('market_unknown', '22023', 'No market serves this phone number or market code.'),
  ('role_unknown', '22023', 'Unknown role.'),
  ('reason_required', '22023', 'A reason is required for this action.'),
  ('cannot_change_self', 'PT409', 'Admins cannot suspend themselves or remove their own admin role.');

-- Raise a catalogued error. `details` travels as JSON in the error's detail field.
create function private.raise_error(code text, details jsonb default null, message text default null)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  entry private.error_catalogue;
begin
  select * into entry from private.error_catalogue as e where e.code = raise_error.code;
  if not found then
    raise exception using errcode = 'XX000', message = format('uncatalogued error code %L', code);
  end if;
  raise exception using
    errcode = entry.sqlstate,
    message = coalesce(raise_error.message, entry.message),
    detail = coalesce(details, '{}'::jsonb)::text,
    hint = entry.code;
end;
$$;
grant execute on function private.raise_error(text, jsonb, text) to anon, authenticated, service_role;

-- updated_at maintenance shared by every table that has the column.
create function private.touch_updated_at()
returns trigger
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- A valid IANA time zone name (as Postgres knows them).
create function private.is_time_zone(name text)
returns boolean
stable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  perform now() at time zone name;
  return true;
exception when invalid_parameter_value then
  return false;
end;
$$;
grant execute on function private.is_time_zone(text) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Roles as the access-token hook puts them in the JWT (see the identity migration)
-- ---------------------------------------------------------------------------

-- Markets name them differently (client, worker, artist, store): see markets.role_labels.
create type public.app_role as enum ('customer', 'provider', 'seller', 'staff', 'admin');

-- Whether the caller's JWT carries the role. Policies call it as
-- `(select private.has_role('admin'))` so it runs once per statement, not per row.
-- Tokens live up to an hour (auth.jwt_expiry), so a revoked role lingers in policies
-- until then; privileged RPCs re-check the user_roles table itself.
create function private.has_role(role public.app_role)
returns boolean
stable
security invoker
set search_path = ''
language plpgsql
as $$
begin
  return coalesce((auth.jwt() -> 'user_roles') ? role::text, false);
end;
$$;
grant execute on function private.has_role(public.app_role) to anon, authenticated, service_role;

-- Identity: markets, profiles, accounts, roles, suspension, the access-token hook and
-- the buckets that hold avatars and verification documents.
--
-- A user signs up by phone through Supabase Auth; a trigger on auth.users gives them a
-- public profile (name, avatar), a private account (phone, locale, status) in the market
-- their app or phone number names, and the customer role. Roles live in user_roles,
-- change only through admin functions, and reach policies through the JWT that
-- custom_access_token_hook fills in. A suspended user can read but not write.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.market_module as enum ('services', 'goods', 'city');
create type public.account_status as enum ('active', 'suspended');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- One market per app and country: currency, languages, the phone prefix that routes
-- sign-ups and SMS, enabled modules, payment gateways and SMS provider.
create table public.markets (
  code text primary key,
  name text not null,
  country_code text not null,
  currency_code text not null,
  currency_minor_units smallint not null default 2,
  phone_country_code text not null,
  default_locale text not null,
  locales text[] not null,
  time_zone text not null,
  modules public.market_module[] not null default '{}',
  payment_gateways text[] not null default '{}',
  sms_provider text,
  -- What this market's app calls each role, e.g. {"customer": "client", "provider": "worker"}.
  role_labels jsonb not null default '{}',
  -- Market of users whose phone matches no market and who named none (e.g. made in Studio).
  is_default boolean not null default false,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint market_code_is_slug check (code ~ '^[a-z][a-z0-9-]{1,31}$'),
  constraint market_name_is_present check (length(btrim(name)) between 1 and 100),
  constraint market_country_is_iso check (country_code ~ '^[A-Z]{2}$'),
  constraint market_currency_is_iso check (currency_code ~ '^[A-Z]{3}$'),
  constraint market_minor_units_in_range check (currency_minor_units between 0 and 4),
  constraint market_phone_code_is_e164 check (phone_country_code ~ '^[1-9][0-9]{0,2}$'),
  constraint market_locales_include_default check (default_locale = any (locales)),
  constraint market_locales_are_bcp47 check (
    array_to_string(locales, ',') ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*(,[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)*$'),
  constraint market_time_zone_is_valid check (private.is_time_zone(time_zone)),
  constraint market_gateways_are_slugs check (
    array_to_string(payment_gateways, ',') ~ '^([a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*)?$'),
  constraint market_sms_provider_is_slug check (sms_provider ~ '^[a-z][a-z0-9_]*$'),
  constraint market_role_labels_is_object check (jsonb_typeof(role_labels) = 'object')
);
create unique index markets_one_default on public.markets (is_default) where is_default;

alter table public.markets enable row level security;
revoke all on table public.markets from anon, authenticated;
grant select on table public.markets to anon, authenticated, supabase_auth_admin;
grant insert, update, delete on table public.markets to authenticated;
grant all on table public.markets to service_role;

-- What other users may see of someone: name and avatar.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  market_code text not null references public.markets (code),
  display_name text,
  -- Object name in the avatars bucket; always inside the user's own folder.
  avatar_path text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profile_display_name_length check (
    display_name is null or (length(btrim(display_name)) between 1 and 80 and display_name = btrim(display_name))),
  constraint profile_avatar_in_own_folder check (
    avatar_path is null or (avatar_path like id::text || '/_%' and avatar_path !~ '(^|/)\.\.(/|$)'))
);
create index profiles_market_code on public.profiles (market_code);

alter table public.profiles enable row level security;
revoke all on table public.profiles from anon, authenticated;
grant select on table public.profiles to authenticated, supabase_auth_admin;
grant update (display_name, avatar_path) on table public.profiles to authenticated;
grant all on table public.profiles to service_role;

-- What only the user and admins see: phone, language, standing.
create table public.accounts (
  id uuid primary key references public.profiles (id) on delete cascade,
  -- E.164 digits without '+', mirrored from auth.users as GoTrue stores it.
  phone text,
  locale text not null,
  status public.account_status not null default 'active',
  status_reason text,
  status_changed_at timestamptz,
  status_changed_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint account_phone_is_e164 check (phone is null or phone ~ '^[1-9][0-9]{1,14}$'),
  constraint account_locale_is_bcp47 check (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  constraint account_suspension_has_reason check (status = 'active' or length(btrim(status_reason)) > 0)
);
create index accounts_status_changed_by on public.accounts (status_changed_by);
create index accounts_phone on public.accounts (phone);

alter table public.accounts enable row level security;
revoke all on table public.accounts from anon, authenticated;
grant select on table public.accounts to authenticated, supabase_auth_admin;
grant update (locale) on table public.accounts to authenticated;
grant all on table public.accounts to service_role;

-- Who holds which role. Written only by the admin functions below.
create table public.user_roles (
  user_id uuid not null references public.profiles (id) on delete cascade,
  role public.app_role not null,
  granted_by uuid references auth.users (id) on delete set null,
  granted_at timestamptz not null default now(),
  constraint user_roles_pkey primary key (user_id, role)
);
create index user_roles_granted_by on public.user_roles (granted_by);

alter table public.user_roles enable row level security;
revoke all on table public.user_roles from anon, authenticated;
grant select on table public.user_roles to authenticated, supabase_auth_admin;
grant all on table public.user_roles to service_role;

create trigger markets_touch_updated_at before update on public.markets
  for each row execute function private.touch_updated_at();
create trigger profiles_touch_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();
create trigger accounts_touch_updated_at before update on public.accounts
  for each row execute function private.touch_updated_at();

-- The access-token hook runs as supabase_auth_admin and reads these tables.
grant usage on schema public to supabase_auth_admin;

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- Whether the caller is signed in and not suspended. Read from the table, not the
-- JWT, so a suspension takes effect on the next request. Policies call it as
-- `(select private.is_active_user())`, once per statement.
-- PL/pgSQL rather than SQL: it runs in every write, and PL/pgSQL keeps its plan for the
-- session where a SQL function (not inlinable with search_path set) is planned anew.
create function private.is_active_user()
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
begin
  return exists (
    select from public.accounts as a
    where a.id = auth.uid() and a.status = 'active'
  );
end;
$$;
revoke execute on function private.is_active_user() from public;
grant execute on function private.is_active_user() to anon, authenticated, service_role;

-- The first statement of every security-definer function that changes something on
-- a user's behalf: signed in, not suspended.
create function private.require_active_user()
returns uuid
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := auth.uid();
begin
  if caller is null then
    perform private.raise_error('not_authenticated');
  end if;
  if not private.is_active_user() then
    perform private.raise_error('account_suspended');
  end if;
  return caller;
end;
$$;
revoke execute on function private.require_active_user() from public;
grant execute on function private.require_active_user() to authenticated, service_role;

-- Admin functions trust neither the JWT alone (it may predate a revocation) nor the
-- table alone (the token must be an admin's): both must say admin.
create function private.require_admin()
returns uuid
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
begin
  if not (private.has_role('admin')
          and exists (select from public.user_roles as r where r.user_id = caller and r.role = 'admin')) then
    perform private.raise_error('forbidden');
  end if;
  return caller;
end;
$$;
revoke execute on function private.require_admin() from public;
grant execute on function private.require_admin() to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Markets are reference data the apps need before sign-in.
create policy markets_select_everyone on public.markets
  for select to anon, authenticated
  using (true);

-- Admins create markets.
create policy markets_insert_admins on public.markets
  for insert to authenticated
  with check ((select private.has_role('admin')));

-- Admins change markets.
create policy markets_update_admins on public.markets
  for update to authenticated
  using ((select private.has_role('admin')))
  with check ((select private.has_role('admin')));

-- Admins remove markets (only while nothing references them).
create policy markets_delete_admins on public.markets
  for delete to authenticated
  using ((select private.has_role('admin')));

-- The access-token hook reads markets through profiles.
create policy markets_select_auth_admin on public.markets
  for select to supabase_auth_admin
  using (true);

-- Signed-in users see each other's public profile.
create policy profiles_select_users on public.profiles
  for select to authenticated
  using (true);

-- A user edits their own name and avatar (the columns granted above).
create policy profiles_update_owner on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- The access-token hook reads the user's market.
create policy profiles_select_auth_admin on public.profiles
  for select to supabase_auth_admin
  using (true);

-- A user and admins see the private account fields.
create policy accounts_select_owner_or_admin on public.accounts
  for select to authenticated
  using (id = (select auth.uid()) or (select private.has_role('admin')));

-- A user changes their own language (the column granted above).
create policy accounts_update_owner on public.accounts
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- The access-token hook reads the account status.
create policy accounts_select_auth_admin on public.accounts
  for select to supabase_auth_admin
  using (true);

-- A user sees their own roles; admins see everyone's.
create policy user_roles_select_owner_or_admin on public.user_roles
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.has_role('admin')));

-- The access-token hook reads roles.
create policy user_roles_select_auth_admin on public.user_roles
  for select to supabase_auth_admin
  using (true);

-- Suspended users write nothing: a restrictive policy per write command on every table
-- authenticated may write (tests/identity/suspension.test.ts checks that none is missing).
create policy markets_insert_active_users on public.markets
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy markets_update_active_users on public.markets
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy markets_delete_active_users on public.markets
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));
create policy profiles_update_active_users on public.profiles
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy accounts_update_active_users on public.accounts
  as restrictive for update to authenticated
  using ((select private.is_active_user()));

-- ---------------------------------------------------------------------------
-- Sign-up: profile, account and the customer role for every new auth user
-- ---------------------------------------------------------------------------

-- GoTrue inserts into auth.users as supabase_auth_admin, which may not write public
-- tables: hence security definer. Nothing in raw_user_meta_data (which the user
-- controls) can grant a role; it only picks the market, language and display name.
create function private.handle_new_auth_user()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  market public.markets;
  name text := nullif(btrim(left(coalesce(meta ->> 'display_name', meta ->> 'full_name', meta ->> 'name'), 80)), '');
begin
  -- The app names its market at sign-up; otherwise the phone's country code decides
  -- (E.164 country codes are prefix-free); otherwise the default market.
  select m.* into market from public.markets as m where m.code = meta ->> 'market' and m.active;
  if not found and new.phone is not null then
    select m.* into market from public.markets as m
    where m.active and new.phone like m.phone_country_code || '%'
    order by m.is_default desc, m.code
    limit 1;
  end if;
  if not found then
    select m.* into market from public.markets as m where m.is_default and m.active;
  end if;
  if not found then
    perform private.raise_error('market_unknown', jsonb_build_object('market', meta ->> 'market'));
  end if;

  insert into public.profiles (id, market_code, display_name)
  values (new.id, market.code, name);

  insert into public.accounts (id, phone, locale)
  values (
    new.id,
    nullif(new.phone, ''),
    case when meta ->> 'locale' = any (market.locales) then meta ->> 'locale' else market.default_locale end
  );

  insert into public.user_roles (user_id, role) values (new.id, 'customer');
  return new;
end;
$$;
revoke execute on function private.handle_new_auth_user() from public;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_auth_user();

-- Keep the account's phone in step when the user changes number through Auth.
create function private.sync_auth_user_phone()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  update public.accounts set phone = nullif(new.phone, '') where id = new.id;
  return new;
end;
$$;
revoke execute on function private.sync_auth_user_phone() from public;

create trigger on_auth_user_phone_changed
  after update of phone on auth.users
  for each row when (old.phone is distinct from new.phone)
  execute function private.sync_auth_user_phone();

-- ---------------------------------------------------------------------------
-- Custom access token hook
-- ---------------------------------------------------------------------------

-- Supabase Auth calls this (as supabase_auth_admin) before issuing every access token.
-- It adds the user's roles, market and account status; every claim Auth put in stays.
-- Security invoker, as Supabase advises for hooks: supabase_auth_admin reads the three
-- tables through the grants and policies above.
create function public.custom_access_token_hook(event jsonb)
returns jsonb
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  subject uuid := (event ->> 'user_id')::uuid;
  roles jsonb;
  market text;
  status public.account_status;
begin
  select coalesce(jsonb_agg(r.role::text order by r.role), '[]'::jsonb)
  into roles
  from public.user_roles as r
  where r.user_id = subject;

  select p.market_code, a.status
  into market, status
  from public.profiles as p
  left join public.accounts as a on a.id = p.id
  where p.id = subject;

  claims := claims || jsonb_build_object(
    'user_roles', roles,
    'market', market,
    'account_status', coalesce(status, 'active')
  );
  return jsonb_build_object('claims', claims);
end;
$$;
revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;

-- ---------------------------------------------------------------------------
-- Admin functions: roles and suspension
-- ---------------------------------------------------------------------------
-- The logic runs as security definer in private (not exposed by PostgREST); the API
-- is a security-invoker wrapper in public with the same signature.

create function private.grant_role(user_id uuid, role public.app_role, reason text default null)
returns public.app_role[]
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  roles public.app_role[];
begin
  perform private.set_audit_reason(reason);
  if not exists (select from public.profiles as p where p.id = grant_role.user_id) then
    perform private.raise_error('not_found', jsonb_build_object('user_id', user_id));
  end if;
  insert into public.user_roles (user_id, role, granted_by)
  values (grant_role.user_id, grant_role.role, caller)
  on conflict on constraint user_roles_pkey do nothing;
  select array_agg(r.role order by r.role) into roles from public.user_roles as r where r.user_id = grant_role.user_id;
  return roles;
end;
$$;
revoke execute on function private.grant_role(uuid, public.app_role, text) from public;
grant execute on function private.grant_role(uuid, public.app_role, text) to authenticated, service_role;

create function private.revoke_role(user_id uuid, role public.app_role, reason text default null)
returns public.app_role[]
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  roles public.app_role[];
begin
  perform private.set_audit_reason(reason);
  if revoke_role.user_id = caller and revoke_role.role = 'admin' then
    perform private.raise_error('cannot_change_self');
  end if;
  if not exists (select from public.profiles as p where p.id = revoke_role.user_id) then
    perform private.raise_error('not_found', jsonb_build_object('user_id', user_id));
  end if;
  delete from public.user_roles as r where r.user_id = revoke_role.user_id and r.role = revoke_role.role;
  select coalesce(array_agg(r.role order by r.role), '{}') into roles
  from public.user_roles as r where r.user_id = revoke_role.user_id;
  return roles;
end;
$$;
revoke execute on function private.revoke_role(uuid, public.app_role, text) from public;
grant execute on function private.revoke_role(uuid, public.app_role, text) to authenticated, service_role;

-- Suspend or restore a user. Suspension also bans them in Auth (banned_until), so no
-- new session or refresh is issued; tokens already out stop writing at once because
-- policies read accounts.status, not the token.
create function private.set_account_status(user_id uuid, status public.account_status, reason text)
returns public.accounts
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  result public.accounts;
begin
  if reason is null or length(btrim(reason)) = 0 then
    perform private.raise_error('reason_required');
  end if;
  perform private.set_audit_reason(btrim(reason));
  if set_account_status.user_id = caller then
    perform private.raise_error('cannot_change_self');
  end if;
  update public.accounts as a
  set status = set_account_status.status,
      status_reason = btrim(reason),
      status_changed_at = now(),
      status_changed_by = caller
  where a.id = set_account_status.user_id
  returning a.* into result;
  if not found then
    perform private.raise_error('not_found', jsonb_build_object('user_id', user_id));
  end if;
  update auth.users as u
  -- GoTrue cannot read 'infinity'; a century is what its own "876000h" ban sets.
  set banned_until = case when set_account_status.status = 'suspended' then now() + interval '100 years' end
  where u.id = set_account_status.user_id;
  return result;
end;
$$;
revoke execute on function private.set_account_status(uuid, public.account_status, text) from public;
grant execute on function private.set_account_status(uuid, public.account_status, text) to authenticated, service_role;

-- API: admins grant a role to a user (the reason goes to the audit log); returns the user's roles.
create function public.grant_role(user_id uuid, role public.app_role, reason text default null)
returns public.app_role[]
volatile
security invoker
set search_path = ''
language sql
as $$ select private.grant_role(user_id, role, reason); $$;
revoke execute on function public.grant_role(uuid, public.app_role, text) from public, anon;
grant execute on function public.grant_role(uuid, public.app_role, text) to authenticated, service_role;

-- API: admins take a role away (the reason goes to the audit log); returns the remaining roles.
create function public.revoke_role(user_id uuid, role public.app_role, reason text default null)
returns public.app_role[]
volatile
security invoker
set search_path = ''
language sql
as $$ select private.revoke_role(user_id, role, reason); $$;
revoke execute on function public.revoke_role(uuid, public.app_role, text) from public, anon;
grant execute on function public.revoke_role(uuid, public.app_role, text) to authenticated, service_role;

-- API: admins suspend a user, with a reason.
create function public.suspend_user(user_id uuid, reason text)
returns public.accounts
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_account_status(user_id, 'suspended', reason); $$;
revoke execute on function public.suspend_user(uuid, text) from public, anon;
grant execute on function public.suspend_user(uuid, text) to authenticated, service_role;

-- API: admins restore a suspended user, with a reason.
create function public.restore_user(user_id uuid, reason text)
returns public.accounts
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_account_status(user_id, 'active', reason); $$;
revoke execute on function public.restore_user(uuid, text) from public, anon;
grant execute on function public.restore_user(uuid, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Audit: role changes, suspensions and market configuration
-- ---------------------------------------------------------------------------

-- Role grants and revocations. The customer role every sign-up receives is not a
-- privileged action; an admin granting it (granted_by set) is.
create trigger user_roles_audit_granted
  after insert on public.user_roles
  for each row when (new.role <> 'customer' or new.granted_by is not null)
  execute function private.audit_row('role.granted');
create trigger user_roles_audit_revoked
  after delete on public.user_roles
  for each row execute function private.audit_row('role.revoked');

-- Suspensions and restorations.
create trigger accounts_audit_status
  after update of status on public.accounts
  for each row when (old.status is distinct from new.status)
  execute function private.audit_row('account.status_changed');

-- Market configuration.
create trigger markets_audit_changes
  after insert or update or delete on public.markets
  for each row execute function private.audit_row();

-- ---------------------------------------------------------------------------
-- Storage: avatars (public) and verification documents (private)
-- ---------------------------------------------------------------------------
-- Objects live under a folder named after their owner: '<user id>/<file>'.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values
  ('avatars', 'avatars', true, 2 * 1024 * 1024, array['image/jpeg', 'image/png', 'image/webp']),
  ('verification-documents', 'verification-documents', false, 10 * 1024 * 1024,
   array['image/jpeg', 'image/png', 'image/webp', 'application/pdf'])
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- Whether an object name lies in the caller's own folder.
create function private.is_own_object(name text)
returns boolean
stable
security invoker
set search_path = ''
language sql
as $$
  select (storage.foldername(name))[1] = (select auth.uid())::text;
$$;
revoke execute on function private.is_own_object(text) from public;
grant execute on function private.is_own_object(text) to authenticated, service_role;

-- Users read their own objects in either bucket (Storage needs this for upserts);
-- admins also read every verification document. Avatars are served publicly by URL,
-- so there is no listing policy for them.
create policy objects_select_owner_or_admin on storage.objects
  for select to authenticated
  using (
    (bucket_id in ('avatars', 'verification-documents') and private.is_own_object(name))
    or (bucket_id = 'verification-documents' and (select private.has_role('admin')))
  );

-- Active users upload into their own folder.
create policy objects_insert_owner on storage.objects
  for insert to authenticated
  with check (
    bucket_id in ('avatars', 'verification-documents')
    and private.is_own_object(name)
    and (select private.is_active_user())
  );

-- Active users replace their own avatar; verification documents are never rewritten.
create policy objects_update_owner on storage.objects
  for update to authenticated
  using (bucket_id = 'avatars' and private.is_own_object(name) and (select private.is_active_user()))
  with check (bucket_id = 'avatars' and private.is_own_object(name));

-- Active users delete their own objects.
create policy objects_delete_owner on storage.objects
  for delete to authenticated
  using (
    bucket_id in ('avatars', 'verification-documents')
    and private.is_own_object(name)
    and (select private.is_active_user())
  );

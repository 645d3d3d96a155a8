-- Soko: Supabase platform bootstrap for a plain PostgreSQL (16+; written for 17).
--
-- Run it as a superuser named supabase_admin, BEFORE Soko's migrations:
--   psql -v ON_ERROR_STOP=1 -U supabase_admin -d postgres -f scripts/db/bootstrap.sql
-- It reproduces what the Supabase Postgres image (supabase/postgres) and the
-- services that migrate their own schemas (GoTrue = supabase/auth, Storage =
-- supabase/storage, Realtime = supabase/realtime) leave in a new project, so
-- migrations written for a hosted project apply here as the non-superuser
-- role postgres and behave the same. Idempotent; one transaction.
-- Each section names the upstream file(s) it follows. Login roles get no
-- password here: the caller sets them.

begin;

set local client_min_messages = warning;
set local check_function_bodies = off;

-- ---------------------------------------------------------------------------
-- 1. Roles
-- supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql,
--   .../00000000000001-auth-schema.sql, .../00000000000002-storage-schema.sql,
--   .../00000000000003-realtime-schema.sql, .../00000000000003-post-setup.sql
-- supabase/postgres migrations/db/migrations/10000000000000_demote-postgres.sql,
--   20230529180330_alter_api_roles_for_inherit.sql (API roles become INHERIT),
--   20260821154147_revoke_createrole_from_auth_admin.sql
-- ---------------------------------------------------------------------------
do $roles$
begin
  -- API roles. Created NOINHERIT by the initial schema, switched to INHERIT by
  -- 20230529180330_alter_api_roles_for_inherit.sql.
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin;
  end if;
  alter role anon          nologin inherit;
  alter role authenticated nologin inherit;
  alter role service_role  nologin inherit bypassrls;

  -- PostgREST's login role.
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  alter role authenticator login noinherit;

  -- The developer's role. Supabase demotes it (demote-postgres.sql); on some
  -- other plain Postgres where it is already a superuser it is left alone.
  if not exists (select from pg_roles where rolname = 'postgres') then
    create role postgres login inherit createrole createdb replication bypassrls;
  elsif not (select rolsuper from pg_roles where rolname = 'postgres') then
    alter role postgres nosuperuser login inherit createrole createdb replication bypassrls;
  end if;

  -- Service roles (GoTrue, Storage, Realtime).
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit noreplication;
  end if;
  alter role supabase_auth_admin login noinherit nocreaterole noreplication;

  if not exists (select from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin login noinherit createrole noreplication;
  end if;
  alter role supabase_storage_admin login noinherit createrole noreplication;

  -- Latest image init script creates it NOINHERIT CREATEROLE LOGIN REPLICATION;
  -- Realtime's own migration (20240401105812) creates NOINHERIT NOLOGIN when missing.
  if not exists (select from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin login noinherit createrole replication;
  end if;

  -- Studio's role (post-setup.sql).
  if not exists (select from pg_roles where rolname = 'dashboard_user') then
    create role dashboard_user nosuperuser createdb createrole replication;
  end if;

  -- Replication / read-only helpers (initial-schema.sql).
  if not exists (select from pg_roles where rolname = 'supabase_replication_admin') then
    create role supabase_replication_admin login replication;
  end if;
  if not exists (select from pg_roles where rolname = 'supabase_read_only_user') then
    create role supabase_read_only_user login bypassrls;
  end if;
end
$roles$;

-- Memberships.
grant anon, authenticated, service_role to authenticator;            -- initial-schema.sql
grant anon, authenticated, service_role to postgres with admin option; -- 20230201083204 + 20250605172253 (PG16+)
grant pg_monitor to postgres;                                          -- 20230306081037
grant pg_read_all_data, pg_signal_backend to postgres;                 -- 20240606060239
grant pg_read_all_data to supabase_read_only_user;                     -- initial-schema.sql
grant authenticator to supabase_storage_admin;                         -- 20231013070755
grant anon, authenticated, service_role to supabase_realtime_admin;    -- init-scripts/...-realtime-schema.sql
-- Hosted Supabase does NOT make postgres a member of the service admins
-- (20250421084701_revoke_admin_roles_from_postgres.sql); it relies on supautils
-- instead, emulated in section 8.
do $revoke$
declare
  m record;
begin
  for m in
    select r.rolname as role, u.rolname as member
    from pg_auth_members am
    join pg_roles r on r.oid = am.roleid
    join pg_roles u on u.oid = am.member
    where (u.rolname = 'supabase_storage_admin' and r.rolname in ('anon', 'authenticated', 'service_role')) -- 20231013070755
       or (u.rolname = 'postgres' and r.rolname in ('supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin'))
  loop
    execute format('revoke %I from %I', m.role, m.member);
  end loop;
end
$revoke$;
grant execute on function pg_catalog.pg_reload_conf() to postgres;     -- 20251105172723
grant set on parameter log_min_messages to supabase_realtime_admin;    -- ...-realtime-schema.sql

-- Role settings. (authenticator/postgres session_preload_libraries =
-- 'supautils, safeupdate' is omitted: those libraries do not exist here.)
alter role anon          set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';                 -- 20221028101028
alter role authenticator set lock_timeout = '8s';                      -- 20231130133139
alter role supabase_admin set search_path = "$user", public, auth, extensions;   -- post-setup.sql
alter role postgres       set search_path = "$user", public, extensions;         -- post-setup.sql
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = 60000; -- 20220322085208
alter role supabase_storage_admin set search_path = storage;
alter role supabase_realtime_admin set search_path = public, extensions, realtime;

-- ---------------------------------------------------------------------------
-- 2. Database and schema public
-- supabase/postgres migrations/db/migrate.sh ("alter database postgres owner to
--   postgres"), 10000000000000_demote-postgres.sql, initial-schema.sql,
--   post-setup.sql (dashboard_user), 20251121141100_supabase_auth_admin_db_grants.sql,
--   storage-schema.sql / realtime-schema.sql (CREATE on database)
-- Owning the database gives postgres CREATE on it, which trusted extensions
-- (btree_gist, ...) need, and makes it owner of schema public (pg_database_owner).
-- ---------------------------------------------------------------------------
do $db$
begin
  execute format('alter database %I owner to postgres', current_database());
  execute format('grant all on database %I to postgres, dashboard_user', current_database());
  execute format('grant create on database %I to supabase_auth_admin, supabase_storage_admin, supabase_realtime_admin',
                 current_database());
end
$db$;

grant usage on schema public to postgres, anon, authenticated, service_role;
grant all on schema public to postgres;
grant create, usage on schema public to supabase_realtime_admin;       -- realtime-schema.sql

-- Objects created in public by postgres or supabase_admin are granted to the
-- API roles (initial-schema.sql ran as postgres, then "for user supabase_admin").
alter default privileges for role postgres in schema public grant all on tables    to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables    to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- 3. extensions schema, pgcrypto, uuid-ossp
-- supabase/postgres initial-schema.sql, post-setup.sql, demote-postgres.sql,
--   20230224042246_grant_extensions_perms_for_postgres.sql, realtime-schema.sql
-- The schema is owned by postgres (created by it during image init), so postgres
-- can CREATE EXTENSION ... WITH SCHEMA extensions for trusted extensions.
-- ---------------------------------------------------------------------------
create schema if not exists extensions;
alter schema extensions owner to postgres;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto    with schema extensions;
-- On Supabase, supautils' privileged_extensions let postgres create untrusted
-- extensions such as earthdistance. Without supautils, install the ones Soko's
-- migrations use up front, so their `create extension if not exists` finds them.
create extension if not exists cube          with schema extensions;
create extension if not exists earthdistance with schema extensions;

grant usage on schema extensions to postgres, anon, authenticated, service_role, supabase_realtime_admin;
grant all on schema extensions to postgres, dashboard_user;
grant all privileges on all tables    in schema extensions to postgres with grant option;
grant all privileges on all routines  in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions grant all on tables    to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions grant all on routines  to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions grant all on sequences to postgres with grant option;
grant all on all tables    in schema extensions to dashboard_user;
grant all on all sequences in schema extensions to dashboard_user;
grant all on all routines  in schema extensions to dashboard_user;

-- ---------------------------------------------------------------------------
-- 4. auth schema (GoTrue)
-- Schema + grants: supabase/postgres init-scripts/00000000000001-auth-schema.sql
--   (schema AUTHORIZATION supabase_admin, ALL to supabase_auth_admin),
--   20211115181400_update-auth-permissions.sql (postgres: ALL on auth tables,
--   sequences, routines + default privileges for supabase_auth_admin),
--   20250421084701_revoke_admin_roles_from_postgres.sql (no CREATE on auth).
-- Tables/functions: supabase/auth migrations/00_init_auth_schema.up.sql,
--   20210710035447_alter_users, 20210722035447_adds_confirmed_at,
--   20210730183235_add_email_change_confirmed, 20220114185221_update_user_idx,
--   20220114185340_add_banned_until, 20220323170000_add_user_reauthentication,
--   20220429102000_add_unique_idx, 20221215195500_modify_users_email_unique_index,
--   20230116124310_alter_phone_type, 20230116124412_add_deleted_at,
--   20240214120130_add_is_anonymous_column, 20240612123726_enable_rls_update_grants,
--   20210909172000/20211122151130/20221215195800/20231117164230 (identities),
--   20220224000811_update_auth_functions, 20220531120530_add_auth_jwt_function.
-- ---------------------------------------------------------------------------
create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres, supabase_realtime_admin;
grant all on schema auth to supabase_auth_admin, dashboard_user;
revoke create on schema auth from postgres;

-- GoTrue connects as supabase_auth_admin: whatever it creates is granted to
-- postgres and dashboard_user through these default privileges.
alter default privileges for role supabase_auth_admin in schema auth grant all on tables    to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on routines  to postgres, dashboard_user;

set local role supabase_auth_admin;

create table if not exists auth.users (
  instance_id                 uuid,
  id                          uuid not null,
  aud                         varchar(255),
  "role"                      varchar(255),
  email                       varchar(255),
  encrypted_password          varchar(255),
  email_confirmed_at          timestamptz,
  invited_at                  timestamptz,
  confirmation_token          varchar(255),
  confirmation_sent_at        timestamptz,
  recovery_token              varchar(255),
  recovery_sent_at            timestamptz,
  email_change_token_new      varchar(255),
  email_change                varchar(255),
  email_change_sent_at        timestamptz,
  last_sign_in_at             timestamptz,
  raw_app_meta_data           jsonb,
  raw_user_meta_data          jsonb,
  is_super_admin              boolean,
  created_at                  timestamptz,
  updated_at                  timestamptz,
  phone                       text default null,
  phone_confirmed_at          timestamptz,
  phone_change                text default '',
  phone_change_token          varchar(255) default '',
  phone_change_sent_at        timestamptz,
  confirmed_at                timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current  varchar(255) default '',
  email_change_confirm_status smallint default 0,
  banned_until                timestamptz,
  reauthentication_token      varchar(255) default '',
  reauthentication_sent_at    timestamptz,
  is_sso_user                 boolean not null default false,
  deleted_at                  timestamptz,
  is_anonymous                boolean not null default false,
  constraint users_pkey primary key (id),
  constraint users_phone_key unique (phone),
  constraint users_email_change_confirm_status_check
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2)
);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
create index if not exists users_instance_id_idx       on auth.users (instance_id);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
create unique index if not exists confirmation_token_idx         on auth.users (confirmation_token)         where confirmation_token !~ '^[0-9 ]*$';
create unique index if not exists recovery_token_idx             on auth.users (recovery_token)             where recovery_token !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_current_idx on auth.users (email_change_token_current) where email_change_token_current !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_new_idx     on auth.users (email_change_token_new)     where email_change_token_new !~ '^[0-9 ]*$';
create unique index if not exists reauthentication_token_idx     on auth.users (reauthentication_token)     where reauthentication_token !~ '^[0-9 ]*$';
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);
comment on index auth.users_email_partial_key is 'Auth: A partial unique index that applies only when is_sso_user is false';
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
alter table auth.users enable row level security;

create table if not exists auth.identities (
  provider_id     text not null,
  user_id         uuid not null,
  identity_data   jsonb not null,
  provider        text not null,
  last_sign_in_at timestamptz,
  created_at      timestamptz,
  updated_at      timestamptz,
  email           text generated always as (lower(identity_data ->> 'email')) stored,
  id              uuid not null default gen_random_uuid(),
  constraint identities_pkey primary key (id),
  constraint identities_provider_id_provider_unique unique (provider_id, provider),
  constraint identities_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);
comment on table auth.identities is 'Auth: Stores identities associated to a user.';
comment on column auth.identities.email is 'Auth: Email is a generated column that references the optional email property in the identity_data';
create index if not exists identities_user_id_idx on auth.identities (user_id);
create index if not exists identities_email_idx   on auth.identities (email text_pattern_ops);
comment on index auth.identities_email_idx is 'Auth: Ensures indexed queries on the email column';
alter table auth.identities enable row level security;

-- Latest definitions: the legacy per-claim GUCs first, then PostgREST's
-- request.jwt.claims JSON (the only one PostgREST still sets).
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

comment on function auth.uid()   is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role()  is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

reset role;

-- Grants as on Supabase: postgres ALL on auth tables (TRIGGER lets it create
-- triggers on auth.users, REFERENCES lets it add foreign keys to it) plus
-- SELECT WITH GRANT OPTION (auth 20240612123726). anon/authenticated/
-- service_role get nothing on auth tables; they run auth.uid() etc. through
-- PUBLIC's default EXECUTE.
grant all on all tables    in schema auth to postgres, dashboard_user;
grant all on all sequences in schema auth to postgres, dashboard_user;
grant all on all routines  in schema auth to postgres, dashboard_user;
grant select on auth.users, auth.identities to postgres with grant option;
grant execute on all functions in schema auth to supabase_realtime_admin;  -- realtime-schema.sql

-- ---------------------------------------------------------------------------
-- 5. storage schema (Storage API)
-- Schema + grants: supabase/postgres init-scripts/00000000000002-storage-schema.sql,
--   post-setup.sql (dashboard_user), 20250421084701 (no CREATE for postgres),
--   20250623125453/20250709135250 (postgres WITH GRANT OPTION).
-- Objects: supabase/storage migrations/tenant/0002-storage-schema.sql,
--   0003-pathtoken-column, 0007-add-rls-to-buckets, 0008-add-public-to-buckets,
--   0011-add-trigger-to-auto-update-updated_at-column, 0012..0014 (bucket limits),
--   0016-add-version, 0017/0018 (owner_id, owner FKs dropped), 0019, 0020 (index),
--   0024-operation-function, 0025-custom-metadata, 0037-add-bucket-name-length-trigger,
--   0038/0044 (storage.buckettype), 0046/0049 (grants), 0051 (index),
--   0052 (objects.level dropped), 0055-prevent-direct-deletes,
--   0060/0061 (foldername/filename/extension, immutable), 0062-object-versioning-core.
-- ---------------------------------------------------------------------------
create schema if not exists storage authorization supabase_admin;
grant usage on schema storage to postgres with grant option;
grant usage on schema storage to anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin with grant option;
grant all on schema storage to dashboard_user;
revoke create on schema storage from postgres;

-- The Storage API connects as supabase_storage_admin.
alter default privileges for role supabase_storage_admin in schema storage grant all on tables    to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage grant all on sequences to postgres, anon, authenticated, service_role;

set local role supabase_storage_admin;

do $types$
begin
  if not exists (select from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'storage' and t.typname = 'buckettype') then
    create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
  elsif not exists (select from pg_enum e join pg_type t on t.oid = e.enumtypid
                    join pg_namespace n on n.oid = t.typnamespace
                    where n.nspname = 'storage' and t.typname = 'buckettype' and e.enumlabel = 'VECTOR') then
    alter type storage.buckettype add value 'VECTOR';
  end if;
end
$types$;

create table if not exists storage.buckets (
  id                 text not null,
  name               text not null,
  owner              uuid,
  created_at         timestamptz default now(),
  updated_at         timestamptz default now(),
  public             boolean default false,
  avif_autodetection boolean default false,
  file_size_limit    bigint,
  allowed_mime_types text[],
  owner_id           text,
  type               storage.buckettype not null default 'STANDARD',
  versioning_status  text not null default 'DISABLED',
  constraint buckets_pkey primary key (id),
  constraint buckets_versioning_status_check check (versioning_status in ('DISABLED', 'ENABLED', 'SUSPENDED')),
  constraint buckets_versioning_standard_only_check check (type = 'STANDARD' or versioning_status = 'DISABLED'),
  constraint buckets_versioning_dark_check check (versioning_status = 'DISABLED')
);
create unique index if not exists bname on storage.buckets (name);
comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';
alter table storage.buckets enable row level security;

create table if not exists storage.objects (
  id               uuid not null default gen_random_uuid(),
  bucket_id        text,
  name             text,
  owner            uuid,
  created_at       timestamptz default now(),
  updated_at       timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata         jsonb,
  path_tokens      text[] generated always as (string_to_array(name, '/')) stored,
  version          text,
  owner_id         text,
  user_metadata    jsonb,
  archived_at      timestamptz,
  is_delete_marker boolean not null default false,
  is_versioned     boolean not null default false,
  constraint objects_pkey primary key (id),
  constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id)
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
create index if not exists idx_objects_bucket_id_name on storage.objects (bucket_id, (name collate "C"));
create index if not exists idx_objects_bucket_id_name_lower on storage.objects (bucket_id, (lower(name) collate "C"));
comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';
alter table storage.objects enable row level security;

create or replace function storage.foldername(name text) returns text[]
language plpgsql immutable
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1 : array_length(_parts, 1) - 1];
end
$$;

create or replace function storage.filename(name text) returns text
language plpgsql immutable
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;

create or replace function storage.extension(name text) returns text
language plpgsql immutable
as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

create or replace function storage.operation() returns text
language plpgsql stable
as $$
begin
  return current_setting('storage.operation', true);
end;
$$;

create or replace function storage.update_updated_at_column() returns trigger
language plpgsql
as $$
begin
  new.updated_at = now();
  return new;
end;
$$;

create or replace function storage.enforce_bucket_name_length() returns trigger
language plpgsql
as $$
begin
  if length(new.name) > 100 then
    raise exception 'bucket name "%" is too long (% characters). Max is 100.', new.name, length(new.name);
  end if;
  return new;
end;
$$;

-- Direct DELETEs on buckets/objects are refused unless the Storage API sets
-- storage.allow_delete_query (0055-prevent-direct-deletes.sql).
create or replace function storage.protect_delete() returns trigger
language plpgsql
as $$
begin
  if coalesce(current_setting('storage.allow_delete_query', true), 'false') != 'true' then
    raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
      using hint = 'This prevents accidental data loss from orphaned objects.',
            errcode = '42501';
  end if;
  return null;
end;
$$;

create or replace trigger update_objects_updated_at
  before update on storage.objects
  for each row execute function storage.update_updated_at_column();
create or replace trigger enforce_bucket_name_length_trigger
  before insert or update of name on storage.buckets
  for each row execute function storage.enforce_bucket_name_length();
create or replace trigger protect_buckets_delete
  before delete on storage.buckets
  for each statement execute function storage.protect_delete();
create or replace trigger protect_objects_delete
  before delete on storage.objects
  for each statement execute function storage.protect_delete();

reset role;

grant all on storage.buckets, storage.objects to anon, authenticated, service_role;  -- 0046
grant all on storage.buckets, storage.objects to postgres with grant option;         -- 0046/0049, 20250623125453
grant all on all sequences in schema storage to dashboard_user;                      -- post-setup.sql
grant all on all routines  in schema storage to dashboard_user;                      -- post-setup.sql

-- ---------------------------------------------------------------------------
-- 6. realtime schema (Realtime)
-- Schema + grants: supabase/postgres init-scripts/00000000000003-realtime-schema.sql,
--   20211122051245/20211130151719_update-realtime-permissions.sql (default
--   privileges for supabase_admin -> postgres, dashboard_user),
--   20260506172403_grant_realtime_schema_to_postgres_with_grant_option.sql.
-- Objects: supabase/realtime lib/realtime/tenants/repo/migrations/
--   20231204144023_set_required_grants, 20240523004032_redefine_authorization_tables,
--   20240919163303_add_payload_to_messages (broadcast_changes),
--   20241030150047_messages_partitioning, 20241108114728_messages_using_uuid,
--   20250905041441_create_messages_replay_index, 20260514120000_add_binary_payload_to_messages,
--   20260605120000_rename_broadcast_send_warning (latest realtime.send),
--   20260707120000_restrict_realtime_schema (owner supabase_realtime_admin);
--   partitions: lib/realtime/tenants.ex create_messages_partitions/1.
-- Realtime connects as supabase_admin, so its objects pick up the default
-- privileges below; it then hands ownership to supabase_realtime_admin.
-- ---------------------------------------------------------------------------
create schema if not exists realtime authorization supabase_admin;
grant usage on schema realtime to postgres with grant option;
grant usage on schema realtime to anon, authenticated, service_role;
grant all on schema realtime to supabase_realtime_admin with grant option;
revoke create on schema realtime from postgres;

alter default privileges for role supabase_admin in schema realtime grant all on tables    to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime grant all on routines  to postgres, dashboard_user;

create table if not exists realtime.messages (
  topic          text not null,
  extension      text not null,
  payload        jsonb,
  event          text,
  private        boolean default false,
  updated_at     timestamp not null default now(),
  inserted_at    timestamp not null default now(),
  id             uuid not null default gen_random_uuid(),
  binary_payload bytea,
  constraint messages_pkey primary key (id, inserted_at)
) partition by range (inserted_at);

do $msg$
begin
  if not exists (select from pg_constraint
                 where conrelid = 'realtime.messages'::regclass and conname = 'messages_payload_exclusive') then
    alter table realtime.messages
      add constraint messages_payload_exclusive check (payload is null or binary_payload is null) not valid;
  end if;
end
$msg$;

create index if not exists messages_inserted_at_topic_index
  on realtime.messages (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;
alter table realtime.messages owner to supabase_realtime_admin;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;

-- Daily partitions. The Realtime service creates yesterday .. today+3 (UTC) on
-- start and daily, and drops old ones; no service runs here, so create a fixed
-- window of today-3 .. today+3. Rerunning this file moves the window forward.
-- No DEFAULT partition, as on Supabase: a row outside the window fails there too
-- (realtime.send turns that into a WARNING).
do $parts$
declare
  d date;
  part text;
begin
  for d in
    select g::date
    from generate_series((now() at time zone 'utc')::date - 3,
                         (now() at time zone 'utc')::date + 3,
                         interval '1 day') as g
  loop
    part := 'messages_' || to_char(d, 'YYYY_MM_DD');
    if to_regclass(format('realtime.%I', part)) is null then
      execute format('create table realtime.%I partition of realtime.messages for values from (%L) to (%L)',
                     part, d::timestamp, (d + 1)::timestamp);
      execute format('alter table realtime.%I owner to supabase_realtime_admin', part);
    end if;
  end loop;
end
$parts$;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;

-- Latest realtime.send: adds an "id" to the payload when missing, sets
-- realtime.topic for RLS, inserts as the caller (RLS applies), and turns any
-- error into a WARNING.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;

    execute format('SET LOCAL realtime.topic TO %L', topic);

    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

-- Payload: {old_record, record, operation, table, schema}, sent as a private
-- broadcast through realtime.send.
create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW')
returns void
language plpgsql
as $$
declare
  row_data jsonb := '{}'::jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation = 'INSERT' or operation = 'UPDATE' or operation = 'DELETE' then
    row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                                   'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation type: %', operation;
  end if;
exception
  when others then
    raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;

alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text) owner to supabase_realtime_admin;
-- EXECUTE: PUBLIC's default, plus postgres/dashboard_user via the default privileges.

-- ---------------------------------------------------------------------------
-- 7. Publication supabase_realtime (empty), owned by postgres so migrations can
--    "alter publication supabase_realtime add table ...".
-- supabase/postgres init-scripts/00000000000000-initial-schema.sql
-- ---------------------------------------------------------------------------
do $pub$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  alter publication supabase_realtime owner to postgres;
end
$pub$;

-- ---------------------------------------------------------------------------
-- 8. supautils emulation: policy_grants and drop_trigger_grants
--
-- On Supabase, postgres owns none of auth.*, storage.*, realtime.* tables, yet
-- may CREATE/ALTER/DROP POLICY on, and DROP TRIGGER from, a fixed list of them:
-- supautils (supabase/supautils src/supautils.c, policy_grants.c,
-- drop_trigger_grants.c) runs those statements as superuser when
-- current_user = 'postgres' and the table is listed in supautils.policy_grants /
-- supautils.drop_trigger_grants (supabase/postgres
-- ansible/files/postgresql_config/supautils.conf.j2). CREATE TRIGGER needs no
-- emulation: postgres holds the TRIGGER privilege on these tables.
--
-- supautils is a C hook and is not available here. Emulation with event
-- triggers: at ddl_command_start of those four statements, when the session
-- acts as postgres, the service admin roles are granted to postgres (INHERIT
-- TRUE, SET FALSE) for that statement only; sql_drop / ddl_command_end reject
-- (42501) the statement if its table is owned by one of them but not in the
-- list, and ddl_command_end revokes the grant. If the statement fails, the
-- transaction (or subtransaction) rolls the grant back with it.
-- Not emulated: COMMENT ON POLICY (supautils allows it; here it fails).
-- ---------------------------------------------------------------------------
create or replace function extensions.supautils_compat_granted_tables() returns text[]
language sql immutable
set search_path = pg_catalog
as $$
  select array[
    'auth.audit_log_entries', 'auth.identities', 'auth.refresh_tokens', 'auth.sessions', 'auth.users',
    'realtime.messages',
    'storage.buckets', 'storage.migrations', 'storage.objects',
    'storage.s3_multipart_uploads', 'storage.s3_multipart_uploads_parts'
  ]
$$;

create or replace function extensions.supautils_compat_ddl_start() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
  caller text := coalesce(nullif(current_setting('role', true), 'none'), session_user);
  admin text;
  granted text[] := '{}';
begin
  if caller is distinct from 'postgres'
     or coalesce((select rolsuper from pg_roles where rolname = 'postgres'), true) then
    return;
  end if;
  if coalesce(current_setting('supautils_compat.temp_owner_roles', true), '') <> '' then
    return;  -- already inside a granted statement
  end if;
  foreach admin in array array['supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin'] loop
    if exists (select from pg_roles where rolname = admin)
       and not pg_has_role('postgres', admin, 'USAGE') then
      execute format('grant %I to postgres with inherit true, set false', admin);
      granted := granted || admin;
    end if;
  end loop;
  perform set_config('supautils_compat.temp_owner_roles', array_to_string(granted, ','), true);
end;
$$;

create or replace function extensions.supautils_compat_check_table(rel oid, what text) returns void
language plpgsql
set search_path = pg_catalog
as $$
declare
  temp_roles text[] := string_to_array(current_setting('supautils_compat.temp_owner_roles', true), ',');
  tbl record;
begin
  select n.nspname, c.relname, pg_get_userbyid(c.relowner) as owner
    into tbl
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.oid = rel;
  if found and tbl.owner = any(temp_roles)
     and not (tbl.nspname || '.' || tbl.relname) = any(extensions.supautils_compat_granted_tables()) then
    raise exception 'must be owner of table %', tbl.relname
      using errcode = '42501', detail = format('%s on %I.%I is not granted to postgres', what, tbl.nspname, tbl.relname);
  end if;
end;
$$;

create or replace function extensions.supautils_compat_sql_drop() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
  obj record;
begin
  if coalesce(current_setting('supautils_compat.temp_owner_roles', true), '') = '' then
    return;
  end if;
  for obj in
    select * from pg_event_trigger_dropped_objects() where object_type in ('policy', 'trigger')
  loop
    perform extensions.supautils_compat_check_table(
      to_regclass(format('%I.%I', obj.address_names[1], obj.address_names[2])),
      'DROP ' || upper(obj.object_type));
  end loop;
end;
$$;

create or replace function extensions.supautils_compat_ddl_end() returns event_trigger
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
  temp_roles text := coalesce(current_setting('supautils_compat.temp_owner_roles', true), '');
  cmd record;
  admin text;
begin
  if temp_roles = '' then
    return;
  end if;
  for cmd in
    select * from pg_event_trigger_ddl_commands() where classid = 'pg_catalog.pg_policy'::regclass
  loop
    perform extensions.supautils_compat_check_table(
      (select polrelid from pg_policy where oid = cmd.objid), cmd.command_tag);
  end loop;
  foreach admin in array string_to_array(temp_roles, ',') loop
    execute format('revoke %I from postgres', admin);
  end loop;
  perform set_config('supautils_compat.temp_owner_roles', '', true);
end;
$$;

alter function extensions.supautils_compat_granted_tables() owner to supabase_admin;
alter function extensions.supautils_compat_ddl_start() owner to supabase_admin;
alter function extensions.supautils_compat_check_table(oid, text) owner to supabase_admin;
alter function extensions.supautils_compat_sql_drop() owner to supabase_admin;
alter function extensions.supautils_compat_ddl_end() owner to supabase_admin;
revoke all on function extensions.supautils_compat_check_table(oid, text) from public, postgres;

drop event trigger if exists supautils_compat_ddl_start;
drop event trigger if exists supautils_compat_sql_drop;
drop event trigger if exists supautils_compat_ddl_end;
create event trigger supautils_compat_ddl_start on ddl_command_start
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER')
  execute function extensions.supautils_compat_ddl_start();
create event trigger supautils_compat_sql_drop on sql_drop
  when tag in ('DROP POLICY', 'DROP TRIGGER')
  execute function extensions.supautils_compat_sql_drop();
create event trigger supautils_compat_ddl_end on ddl_command_end
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER')
  execute function extensions.supautils_compat_ddl_end();
-- Fire even under session_replication_role = replica (seeds may set it).
alter event trigger supautils_compat_ddl_start enable always;
alter event trigger supautils_compat_sql_drop enable always;
alter event trigger supautils_compat_ddl_end enable always;

commit;

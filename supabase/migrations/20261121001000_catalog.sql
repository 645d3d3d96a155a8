-- Services catalog: per-market service settings, the category tree, and the
-- translated-text helpers every services table uses.
--
-- Translatable text is a JSON object keyed by BCP 47 language tag
-- ({"en": "Plumbing", "uz-Cyrl": "Сантехника"}); clients pick their locale and fall
-- back as private.translate does. Search matches every language at once through a
-- generated `search_text` column with a trigram index.

-- ---------------------------------------------------------------------------
-- Helpers the tables' constraints and generated columns need
-- ---------------------------------------------------------------------------

-- Whether `value` is a translation object: at least one language, every key a
-- language tag, every value a non-blank string of at most max_length characters.
create function private.is_translated_text(value jsonb, max_length integer)
returns boolean
immutable
security invoker
set search_path = ''
language sql
as $$
  select jsonb_typeof(value) = 'object'
     and value <> '{}'::jsonb
     and not exists (
       select
       from jsonb_each(value) as t (locale, text)
       where t.locale !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'
          or jsonb_typeof(t.text) <> 'string'
          or length(btrim(t.text #>> '{}')) = 0
          or length(t.text #>> '{}') > max_length
     );
$$;
grant execute on function private.is_translated_text(jsonb, integer) to anon, authenticated, service_role;

-- Every language of a translation object in one string, for trigram search.
create function private.translations_text(value jsonb)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select coalesce(string_agg(t.text, ' ' order by t.locale), '')
  from jsonb_each_text(case when jsonb_typeof(value) = 'object' then value else '{}'::jsonb end) as t (locale, text);
$$;
grant execute on function private.translations_text(jsonb) to anon, authenticated, service_role;

-- The best text for a locale: the exact tag, then its language ('uz' for 'uz-Cyrl'),
-- then any tag of the same language, then English, then whatever there is.
create function private.translate(value jsonb, locale text)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select coalesce(
    value ->> locale,
    value ->> split_part(locale, '-', 1),
    (select t.text from jsonb_each_text(value) as t (tag, text)
     where split_part(t.tag, '-', 1) = split_part(locale, '-', 1) order by t.tag limit 1),
    value ->> 'en',
    (select t.text from jsonb_each_text(value) as t (tag, text) order by t.tag limit 1)
  )
  where jsonb_typeof(value) = 'object';
$$;
grant execute on function private.translate(jsonb, text) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- How the services module behaves in a market. A market offers services when it has
-- the 'services' module and a row here.
create table public.service_settings (
  market_code text primary key references public.markets (code) on delete cascade,
  -- Whether only providers with the verified badge can be found and booked.
  requires_verified_providers boolean not null default true,
  -- A request the provider has not accepted by then expires.
  request_ttl interval not null default '24 hours',
  -- How far ahead customers may book.
  booking_horizon interval not null default '90 days',
  -- Spacing of the start times listing_slots offers.
  slot_step interval not null default '30 minutes',
  -- After completion, how long each party may review; reviews are published when
  -- both have reviewed or when this window ends.
  review_window interval not null default '7 days',
  -- After completion, how long either party may open a dispute.
  dispute_window interval not null default '7 days',
  -- The widest radius search accepts.
  max_search_radius_m integer not null default 50000,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_settings_request_ttl_in_range check (request_ttl between interval '5 minutes' and interval '14 days'),
  constraint service_settings_horizon_in_range check (booking_horizon between interval '1 day' and interval '3 years'),
  constraint service_settings_slot_step_in_range check (
    slot_step between interval '5 minutes' and interval '4 hours' and date_part('month', slot_step) = 0
    and date_part('day', slot_step) = 0),
  constraint service_settings_review_window_in_range check (review_window between interval '1 day' and interval '60 days'),
  constraint service_settings_dispute_window_in_range check (dispute_window between interval '1 hour' and interval '60 days'),
  constraint service_settings_search_radius_in_range check (max_search_radius_m between 1000 and 500000)
);

alter table public.service_settings enable row level security;
revoke all on table public.service_settings from anon, authenticated;
grant select on table public.service_settings to anon, authenticated;
grant insert, update, delete on table public.service_settings to authenticated;
grant all on table public.service_settings to service_role;

-- The category tree. Names are translated; `icon` names a glyph in the apps' icon set.
create table public.service_categories (
  id uuid primary key default gen_random_uuid(),
  parent_id uuid references public.service_categories (id) on delete restrict,
  slug text not null,
  name jsonb not null,
  icon text,
  position integer not null default 0,
  active boolean not null default true,
  search_text text generated always as (private.translations_text(name)) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_categories_slug_key unique (slug),
  constraint category_slug_is_slug check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 64),
  constraint category_name_is_translated check (private.is_translated_text(name, 80)),
  constraint category_name_has_english check (name ? 'en'),
  constraint category_icon_is_a_name check (icon is null or icon ~ '^[a-z0-9_-]{1,64}$'),
  constraint category_is_not_its_own_parent check (parent_id is distinct from id),
  constraint category_position_in_range check (position between -10000 and 10000)
);
create index service_categories_parent_id on public.service_categories (parent_id, position);
create index service_categories_search_text on public.service_categories using gin (search_text extensions.gin_trgm_ops);

alter table public.service_categories enable row level security;
revoke all on table public.service_categories from anon, authenticated;
grant select on table public.service_categories to anon, authenticated;
grant insert, update, delete on table public.service_categories to authenticated;
grant all on table public.service_categories to service_role;

create trigger service_settings_touch_updated_at before update on public.service_settings
  for each row execute function private.touch_updated_at();
create trigger service_categories_touch_updated_at before update on public.service_categories
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

insert into private.error_catalogue (code, sqlstate, message) values
  ('services_not_available', 'PT409', 'This market does not offer services.'),
  ('category_not_found', 'PT404', 'No such category.'),
  ('category_cycle', '22023', 'A category cannot be placed under itself or one of its subcategories.'),
  ('invalid_time_range', '22023', 'The end must come after the start.'),
  ('date_range_too_long', '22023', 'Ask for a shorter period.'),
  ('invalid_location', '22023', 'Latitude must be between -90 and 90 and longitude between -180 and 180.');

-- Whether the caller is an admin by both the token and the table (as require_admin).
create function private.is_admin()
returns boolean
stable
security definer
set search_path = ''
language sql
as $$
  select private.has_role('admin')
     and exists (select from public.user_roles as r where r.user_id = auth.uid() and r.role = 'admin');
$$;
revoke execute on function private.is_admin() from public;
grant execute on function private.is_admin() to authenticated, service_role;

-- The market's services settings; services_not_available when it offers none.
create function private.require_service_settings(market text)
returns public.service_settings
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  settings public.service_settings;
begin
  select s.* into settings
  from public.service_settings as s
  join public.markets as m on m.code = s.market_code
  where s.market_code = market and m.active and 'services' = any (m.modules);
  if not found then
    perform private.raise_error('services_not_available', jsonb_build_object('market', market));
  end if;
  return settings;
end;
$$;
revoke execute on function private.require_service_settings(text) from public;
grant execute on function private.require_service_settings(text) to authenticated, service_role;

-- A category and all its descendants.
create function private.category_subtree(root uuid)
returns uuid[]
stable
security definer
set search_path = ''
language sql
as $$
  with recursive tree (id) as (
    select c.id from public.service_categories as c where c.id = root
    union
    select c.id from public.service_categories as c join tree on c.parent_id = tree.id
  )
  select coalesce(array_agg(tree.id), '{}') from tree;
$$;
revoke execute on function private.category_subtree(uuid) from public;
grant execute on function private.category_subtree(uuid) to anon, authenticated, service_role;

-- The tree stays a tree: a category cannot move under one of its own descendants.
create function private.check_category_parent()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  if new.parent_id is not null and new.parent_id = any (private.category_subtree(new.id)) then
    perform private.raise_error('category_cycle', jsonb_build_object('id', new.id, 'parent_id', new.parent_id));
  end if;
  return new;
end;
$$;
revoke execute on function private.check_category_parent() from public;

create trigger service_categories_check_parent
  before insert or update of parent_id on public.service_categories
  for each row execute function private.check_category_parent();

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Everyone reads the services settings of every market (the apps show the rules).
create policy service_settings_select_everyone on public.service_settings
  for select to anon, authenticated
  using (true);

-- Admins configure a market's services.
create policy service_settings_insert_admins on public.service_settings
  for insert to authenticated
  with check ((select private.has_role('admin')));

-- Admins change a market's services settings.
create policy service_settings_update_admins on public.service_settings
  for update to authenticated
  using ((select private.has_role('admin')))
  with check ((select private.has_role('admin')));

-- Admins remove a market's services settings.
create policy service_settings_delete_admins on public.service_settings
  for delete to authenticated
  using ((select private.has_role('admin')));

-- Everyone sees active categories; admins also see inactive ones.
create policy service_categories_select_everyone on public.service_categories
  for select to anon, authenticated
  using (active or (select private.has_role('admin')));

-- Admins create categories.
create policy service_categories_insert_admins on public.service_categories
  for insert to authenticated
  with check ((select private.has_role('admin')));

-- Admins change categories.
create policy service_categories_update_admins on public.service_categories
  for update to authenticated
  using ((select private.has_role('admin')))
  with check ((select private.has_role('admin')));

-- Admins remove categories nothing uses.
create policy service_categories_delete_admins on public.service_categories
  for delete to authenticated
  using ((select private.has_role('admin')));

-- Suspended users write nothing.
create policy service_settings_insert_active_users on public.service_settings
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy service_settings_update_active_users on public.service_settings
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy service_settings_delete_active_users on public.service_settings
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));
create policy service_categories_insert_active_users on public.service_categories
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy service_categories_update_active_users on public.service_categories
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy service_categories_delete_active_users on public.service_categories
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));

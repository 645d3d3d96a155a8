-- Search: the one RPC behind the apps' search screen. Anyone may search; it returns
-- public listing and provider fields, the distance rounded to 100 m (never the
-- provider's coordinates) and each listing's next free start.
--
-- Nearest-first (the search screen) walks private.listing_places in batches, straight
-- from its (category, location) GiST index (the planner cannot estimate a radius, so
-- it is not left to choose), filtering on the places' own columns as it reads; static
-- SQL, so its plans are kept for the session. Rating and price order follow their
-- indexes through a query assembled from fixed fragments for the filters actually
-- given (values travel as parameters), so each combination gets a plan that fits it.
-- Either way a start time is first tested against the weekly hours in the query
-- itself, and the full availability test, the costliest, runs only on the rows that
-- pass, one by one, until the page is full.

insert into private.error_catalogue (code, sqlstate, message) values
  ('invalid_search', '22023', 'This search is not valid.');

-- A category and all its ancestors, itself first.
create function private.category_path(category uuid)
returns uuid[]
stable
security definer
set search_path = ''
language plpgsql
as $$
begin
  return (
    with recursive up (id, parent_id, depth) as (
      select c.id, c.parent_id, 0 from public.service_categories as c where c.id = category
      union all
      select c.id, c.parent_id, up.depth + 1
      from public.service_categories as c
      join up on c.id = up.parent_id
      where up.depth < 100
    )
    select coalesce(array_agg(up.id order by up.depth), '{}') from up
  );
end;
$$;
revoke execute on function private.category_path(uuid) from public;

-- Where each listing can be found from, and what search filters on first: one row per
-- listing and category it belongs to (its own, every ancestor, and the nil uuid for
-- "any category"), at its provider's base. A (category, location) GiST index walks one
-- category's listings nearest first, whatever the depth searched, and the filters
-- below are read from the same rows as the walk goes, without a join. Kept by triggers
-- on listings, providers, their locations and hours, and the category tree; private, as
-- the locations are. Search still checks the listing and provider rows themselves for
-- what it returns: this table only narrows what it reads.
create table private.listing_places (
  listing_id uuid not null references public.service_listings (id) on delete cascade,
  category_id uuid not null,
  location extensions.earth not null,
  provider_id uuid not null,
  market_code text not null,
  -- The listing and its provider are active.
  searchable boolean not null,
  verified boolean not null,
  rating numeric(3, 2),
  price_minor bigint not null,
  -- How far from the base the listing is offered.
  reach_m integer not null,
  time_zone text not null,
  -- The half hours of the week (local time, Monday 00:00-00:30 first) that a weekly
  -- rule touches, validity dates left out; and the last day with extra hours.
  weekly_hours bit(336) not null,
  extra_hours_until date,
  primary key (listing_id, category_id)
-- Every published review changes its provider's rating on each of their rows: room on
-- each page keeps those updates HOT (no index touched, no row moved).
) with (fillfactor = 80);
create index listing_places_nearest on private.listing_places using gist (category_id, location);
create index listing_places_provider_id on private.listing_places (provider_id);
revoke all on table private.listing_places from public, anon, authenticated;

-- Whether a listing's place admits a start at `instant` by its weekly hours: a cheap
-- necessary condition for being bookable then, read before the full availability test.
-- The local half hour must be one a weekly rule touches, unless extra hours fall around
-- that day or the zone changes its UTC offset within two days (rules meet the clock
-- change in ways a time of the week does not capture); then it admits.
create function private.weekly_hours_admit(weekly_hours bit(336), extra_hours_until date, time_zone text, instant timestamptz)
returns boolean
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  wall timestamp := instant at time zone time_zone;
begin
  return get_bit(weekly_hours, (extract(isodow from wall)::integer - 1) * 48
                               + extract(hour from wall)::integer * 2 + extract(minute from wall)::integer / 30) = 1
      or coalesce(extra_hours_until >= wall::date - 1, false)
      or (instant + interval '2 days') at time zone time_zone - (instant - interval '2 days') at time zone time_zone
         <> interval '4 days';
end;
$$;
revoke execute on function private.weekly_hours_admit(bit, date, text, timestamptz) from public;

-- Places (again) the given listings, reading everything from the source tables. A
-- listing whose provider has no base is not placed (nearest-first cannot find it).
create function private.place_listings(listing_ids uuid[])
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  delete from private.listing_places as lp where lp.listing_id = any (listing_ids);
  insert into private.listing_places (listing_id, category_id, location, provider_id, market_code, searchable, verified,
                                      rating, price_minor, reach_m, time_zone, weekly_hours, extra_hours_until)
  with listing as materialized (
    select l.* from public.service_listings as l where l.id = any (listing_ids)
  ),
  weekly as (
    -- Each provider's half hours of the week that a rule touches, one run of ones per rule.
    select p.id as provider_id,
           coalesce(bit_or(rpad(lpad(repeat('1', r.last_half - r.first_half + 1), r.last_half + 1, '0'), 336, '0')::bit(336)),
                    repeat('0', 336)::bit(336)) as hours
    from (select distinct listing.provider_id as id from listing) as p
    left join lateral (
      select (a.weekday - 1) * 48 + floor(extract(epoch from a.start_time) / 1800)::integer as first_half,
             (a.weekday - 1) * 48 + ceil(extract(epoch from a.end_time) / 1800)::integer - 1 as last_half
      from public.availability_rules as a
      where a.provider_id = p.id
    ) as r on true
    group by p.id
  )
  select l.id, path.category_id, pl.location, l.provider_id, l.market_code, l.active and p.active, p.verified,
         p.rating_average, l.price_minor, coalesce(l.coverage_radius_m, p.service_radius_m), p.time_zone,
         w.hours,
         (select max(e.on_date) from public.availability_exceptions as e
          where e.provider_id = l.provider_id and e.kind = 'extra_hours')
  from listing as l
  join public.providers as p on p.id = l.provider_id
  join public.provider_locations as pl on pl.provider_id = l.provider_id
  join weekly as w on w.provider_id = l.provider_id
  cross join lateral unnest(private.category_path(l.category_id) || '00000000-0000-0000-0000-000000000000'::uuid)
    as path (category_id);
end;
$$;
revoke execute on function private.place_listings(uuid[]) from public;

-- Places a provider's listings again.
create function private.place_provider_listings(provider uuid)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform private.place_listings(array(select l.id from public.service_listings as l where l.provider_id = provider));
end;
$$;
revoke execute on function private.place_provider_listings(uuid) from public;

-- Trigger: a listing was created or changed what search reads of it.
create function private.place_listing()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform private.place_listings(array[new.id]);
  return null;
end;
$$;
revoke execute on function private.place_listing() from public;

create trigger service_listings_place
  after insert on public.service_listings
  for each row execute function private.place_listing();
create trigger service_listings_place_again
  after update of category_id, provider_id, market_code, active, price_minor, coverage_radius_m on public.service_listings
  for each row when (old.category_id is distinct from new.category_id or old.provider_id is distinct from new.provider_id
                     or old.market_code is distinct from new.market_code or old.active is distinct from new.active
                     or old.price_minor is distinct from new.price_minor
                     or old.coverage_radius_m is distinct from new.coverage_radius_m)
  execute function private.place_listing();

-- Trigger: something search reads of a provider (or their base, or hours) changed. A
-- new rating is written in place (every published review changes it); the rest, rare,
-- places the provider's listings again.
create function private.place_provider()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  if tg_table_name = 'providers' then
    if new.active = old.active and new.verified = old.verified and new.service_radius_m = old.service_radius_m
       and new.time_zone = old.time_zone and new.market_code = old.market_code then
      update private.listing_places as lp set rating = new.rating_average
      where lp.provider_id = new.id and lp.rating is distinct from new.rating_average;
    else
      perform private.place_provider_listings(new.id);
    end if;
  elsif tg_op = 'DELETE' then
    perform private.place_provider_listings(old.provider_id);
  else
    perform private.place_provider_listings(new.provider_id);
    if tg_op = 'UPDATE' and old.provider_id <> new.provider_id then
      perform private.place_provider_listings(old.provider_id);
    end if;
  end if;
  return null;
end;
$$;
revoke execute on function private.place_provider() from public;

create trigger providers_place
  after update of active, verification_status, rating_count, rating_sum, service_radius_m, time_zone, market_code
  on public.providers
  for each row when (old.active is distinct from new.active or old.verified is distinct from new.verified
                     or old.rating_average is distinct from new.rating_average
                     or old.service_radius_m is distinct from new.service_radius_m
                     or old.time_zone is distinct from new.time_zone or old.market_code is distinct from new.market_code)
  execute function private.place_provider();
create trigger provider_locations_place
  after insert or delete on public.provider_locations
  for each row execute function private.place_provider();
create trigger provider_locations_place_again
  after update of lat, lng on public.provider_locations
  for each row when (old.lat is distinct from new.lat or old.lng is distinct from new.lng)
  execute function private.place_provider();
create trigger availability_rules_place
  after insert or update or delete on public.availability_rules
  for each row execute function private.place_provider();
create trigger availability_exceptions_place
  after insert or update of kind, on_date or delete on public.availability_exceptions
  for each row execute function private.place_provider();

-- Trigger: a category moved; its listings (and its subcategories') are placed again.
create function private.place_category_listings()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform private.place_listings(array(
    select l.id from public.service_listings as l where l.category_id = any (private.category_subtree(new.id))));
  return null;
end;
$$;
revoke execute on function private.place_category_listings() from public;

create trigger service_categories_place
  after update of parent_id on public.service_categories
  for each row when (old.parent_id is distinct from new.parent_id)
  execute function private.place_category_listings();

create function private.search_services(
  query text default null,
  category uuid default null,
  near_lat double precision default null,
  near_lng double precision default null,
  radius_m integer default null,
  min_rating numeric default null,
  verified_only boolean default false,
  max_price_minor bigint default null,
  available_at timestamptz default null,
  market text default null,
  sort text default null,
  locale text default 'en',
  page_size integer default 20,
  page integer default 0,
  after uuid default null
)
returns table (
  listing_id uuid,
  provider_id uuid,
  category_id uuid,
  market_code text,
  title text,
  provider_name text,
  verified boolean,
  rating_average numeric,
  rating_count integer,
  price_minor bigint,
  currency_code text,
  pricing_unit public.pricing_unit,
  duration_minutes integer,
  distance_m integer,
  next_slot_at timestamptz
)
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  text_query text := nullif(btrim(query), '');
  pattern text;
  categories uuid[];
  text_categories uuid[];
  inactive_categories uuid[];
  markets text[];
  verified_markets text[];
  origin extensions.earth;
  radius double precision;
  max_radius integer;
  sort_by text;
  skip integer := case when after is null then coalesce(page, 0) * coalesce(page_size, 0) else 0 end;
  filters text;
  keyset text := '';
  candidates text;
  after_key double precision;
  after_provider uuid;
  hit record;
  hit_ids uuid[] := '{}';
  hit_distances double precision[] := '{}';
  hit_slots timestamptz[] := '{}';
  availability record;
  batch integer;
  batch_ids uuid[];
  batch_chords double precision[];
  resume_chord double precision;
  fetched integer;
  kept integer;
  first_chord double precision;
  last_chord double precision;
  read integer := 0;
  wanted integer;
  done boolean := false;
  dense boolean := false;
begin
  if (near_lat is null) <> (near_lng is null)
     or near_lat not between -90 and 90 or near_lng not between -180 and 180 then
    perform private.raise_error('invalid_location');
  end if;
  max_radius := coalesce((select s.max_search_radius_m from public.service_settings as s where s.market_code = market), 200000);
  if radius_m is not null and (near_lat is null or radius_m not between 1 and max_radius) then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'radius_m', 'max', max_radius));
  end if;
  sort_by := coalesce(sort, case when near_lat is null then 'rating' else 'distance' end);
  if sort_by not in ('distance', 'rating', 'price') or (sort_by = 'distance' and near_lat is null) then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'sort'));
  end if;
  if page_size is null or page_size not between 1 and 50 then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'page_size', 'max', 50));
  end if;
  if page is null or page not between 0 and 100 then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'page'));
  end if;
  if min_rating is not null and min_rating not between 1 and 5 then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'min_rating'));
  end if;
  if max_price_minor is not null and max_price_minor < 0 then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'max_price_minor'));
  end if;
  if text_query is not null and length(text_query) > 100 then
    perform private.raise_error('invalid_search', jsonb_build_object('field', 'query'));
  end if;

  -- Markets that offer services (the one asked for, if any), and those that only show
  -- verified providers; categories switched off. Small lists, looked up once.
  select coalesce(array_agg(s.market_code), '{}'),
         coalesce(array_agg(s.market_code) filter (where s.requires_verified_providers), '{}')
  into markets, verified_markets
  from public.service_settings as s
  join public.markets as m on m.code = s.market_code
  where m.active and 'services' = any (m.modules) and (search_services.market is null or s.market_code = search_services.market);
  select coalesce(array_agg(c.id), '{}') into inactive_categories from public.service_categories as c where not c.active;

  filters := 'l.active and p.active and l.market_code = any ($1) and (p.verified or l.market_code <> all ($2))'
          || ' and l.category_id <> all ($3)';
  if category is not null then
    categories := private.category_subtree(category);
    if cardinality(categories) = 0 then
      perform private.raise_error('category_not_found', jsonb_build_object('category_id', category));
    end if;
    filters := filters || ' and l.category_id = any ($4)';
  end if;
  if text_query is not null then
    -- Substring in any language, or a close word (typos), or a category of that name.
    pattern := '%' || replace(replace(replace(text_query, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    select coalesce(array_agg(distinct t.id), '{}') into text_categories
    from public.service_categories as c,
         lateral unnest(private.category_subtree(c.id)) as t (id)
    where c.active and c.search_text ilike pattern;
    filters := filters
      || ' and (l.search_text ilike $5 or $6 operator(extensions.<%) l.search_text or l.category_id = any ($7))';
  end if;
  if min_rating is not null then
    filters := filters || ' and p.rating_average >= $8';
  end if;
  if verified_only then
    filters := filters || ' and p.verified';
  end if;
  if max_price_minor is not null then
    filters := filters || ' and l.price_minor <= $9';
  end if;
  if available_at is not null then
    -- Only providers open then go on to the full availability test.
    filters := filters || ' and not exists (select from private.listing_places as lpn'
      || ' where lpn.listing_id = l.id and lpn.category_id = ''00000000-0000-0000-0000-000000000000'''
      || ' and not private.weekly_hours_admit(lpn.weekly_hours, lpn.extra_hours_until, lpn.time_zone, $18))';
  end if;
  if near_lat is not null then
    origin := extensions.ll_to_earth(near_lat, near_lng);
    radius := coalesce(radius_m, max_radius);
  end if;

  -- Keyset pagination: `after` is the last listing of the previous page. Its sort key is
  -- looked up here, so no client ever holds an exact distance.
  if after is not null then
    select case sort_by
             when 'distance' then pl.location operator(extensions.<->) origin
             when 'rating' then coalesce(p.rating_average, 0)::double precision
             else l.price_minor::double precision
           end,
           l.provider_id
    into after_key, after_provider
    from public.service_listings as l
    join public.providers as p on p.id = l.provider_id
    left join public.provider_locations as pl on pl.provider_id = l.provider_id
    where l.id = after;
    if after_key is null then
      perform private.raise_error('invalid_search', jsonb_build_object('field', 'after'));
    end if;
  end if;

  if sort_by = 'distance' then
    -- Nearest first, a batch at a time, straight from the places index (the category's,
    -- or every listing's). Each batch is read whole from the index (so the scan stops),
    -- filtered on the places' own columns, and what passes is checked against the
    -- listing and provider rows in (distance, provider, listing) order, then for
    -- availability one by one until the page is full. Static SQL: plans kept for the session.
    batch := greatest(50, (skip + page_size) * 6);
    wanted := skip + page_size;
    resume_chord := after_key;
    while not done loop
      select count(*)::integer, min(b.chord), max(b.chord),
             coalesce(array_agg(b.listing_id order by b.chord) filter (where b.admitted), '{}'),
             coalesce(array_agg(b.chord order by b.chord) filter (where b.admitted), '{}')
      into fetched, first_chord, last_chord, batch_ids, batch_chords
      from (
        select lp.listing_id, lp.location operator(extensions.<->) origin as chord,
               -- In order, cheapest first (AND stops at the first false).
               lp.searchable
               and lp.market_code = any (markets)
               and (lp.verified or lp.market_code <> all (verified_markets))
               and (not search_services.verified_only or lp.verified)
               and (search_services.min_rating is null or lp.rating >= search_services.min_rating)
               and (search_services.max_price_minor is null or lp.price_minor <= search_services.max_price_minor)
               and extensions.sec_to_gc(lp.location operator(extensions.<->) origin) <= least(radius, lp.reach_m)
               and (search_services.available_at is null
                    or private.weekly_hours_admit(lp.weekly_hours, lp.extra_hours_until, lp.time_zone,
                                                  search_services.available_at)) as admitted
        from private.listing_places as lp
        where lp.category_id = coalesce(search_services.category, '00000000-0000-0000-0000-000000000000'::uuid)
          and (resume_chord is null or (lp.location operator(extensions.<->) origin) >= resume_chord)
        order by lp.location operator(extensions.<->) origin
        limit batch
      ) as b;
      exit when fetched = 0;
      if fetched = batch then
        -- A full batch may end inside a run of equal distances (one provider's listings,
        -- or neighbours at one address): that run is left whole to the next batch, which
        -- starts at its distance. A batch that is all one run is read again, larger.
        if first_chord = last_chord then
          batch := batch * 4;
          continue;
        end if;
        kept := coalesce(array_position(batch_chords, last_chord), cardinality(batch_chords) + 1) - 1;
        batch_ids := batch_ids[1:kept];
        batch_chords := batch_chords[1:kept];
        resume_chord := last_chord;
      end if;
      for hit in
        select l as listing, l.id as id, extensions.sec_to_gc(n.chord) as distance
        from unnest(batch_ids, batch_chords) as n (id, chord)
        join public.service_listings as l on l.id = n.id
        join public.providers as p on p.id = l.provider_id
        where l.active and p.active
          and l.market_code = any (markets)
          and (p.verified or l.market_code <> all (verified_markets))
          and l.category_id <> all (inactive_categories)
          and (categories is null or l.category_id = any (categories))
          and (text_query is null
               or l.search_text ilike pattern or text_query operator(extensions.<%) l.search_text
               or l.category_id = any (text_categories))
          and (search_services.min_rating is null or p.rating_average >= search_services.min_rating)
          and (not search_services.verified_only or p.verified)
          and (search_services.max_price_minor is null or l.price_minor <= search_services.max_price_minor)
          and extensions.sec_to_gc(n.chord) <= least(radius, coalesce(l.coverage_radius_m, p.service_radius_m))
          and (after_key is null or n.chord > after_key
               or (n.chord = after_key and (l.provider_id > after_provider
                                            or (l.provider_id = after_provider and l.id > search_services.after))))
        order by n.chord, l.provider_id, l.id
      loop
        availability := private.listing_availability(hit.listing, available_at);
        continue when available_at is not null and not availability.bookable;
        if skip > 0 then
          skip := skip - 1;
          continue;
        end if;
        hit_ids := hit_ids || hit.id;
        hit_distances := hit_distances || hit.distance;
        hit_slots := hit_slots || availability.next_slot;
        done := cardinality(hit_ids) >= page_size;
        exit when done;
      end loop;
      -- Done when the page is full, the index has no more, or the batch reached past the
      -- radius. (No bounding box in the batch query: the planner would estimate it
      -- small and trade the nearest-first index scan for a sort of everything inside.)
      done := done or fetched < batch or extensions.sec_to_gc(last_chord) > radius;
      -- Next, about as many rows as the hits still wanted took so far.
      read := read + fetched;
      batch := least(20000, batch * 8, greatest(50,
        ceil((skip + page_size - cardinality(hit_ids)) * 1.25 * read
             / greatest(wanted - skip - page_size + cardinality(hit_ids), 1))::integer + 10));
    end loop;
  else
    if after is not null then
      keyset := case sort_by
        when 'rating' then ' and (coalesce(p.rating_average, 0) < $12::numeric or (coalesce(p.rating_average, 0) = $12::numeric'
                           || ' and (l.provider_id > $13 or (l.provider_id = $13 and l.id > $14))))'
        else ' and (l.price_minor > $12::bigint or (l.price_minor = $12::bigint'
             || ' and (l.provider_id > $13 or (l.provider_id = $13 and l.id > $14))))'
      end;
    end if;
    if origin is not null then
      select count(*) >= 500 into dense
      from (select from public.provider_locations as pl
            where extensions.earth_box(origin, radius) operator(extensions.@>) pl.location limit 500) as near;
    end if;
    -- One ordered query; rows are only read up to the page (the availability test,
    -- the costliest, runs on them one by one).
    candidates := format($sql$
      select l as listing, l.id as listing_id, %s as distance
      from public.service_listings as l
      join public.providers as p on p.id = l.provider_id
      %s
      where %s %s %s
      order by %s, l.provider_id, l.id
      %s
    $sql$,
      case when origin is null then 'null::double precision' else 'extensions.earth_distance(pl.location, $10)' end,
      case when origin is null then '' else 'join public.provider_locations as pl on pl.provider_id = l.provider_id' end,
      filters,
      case when origin is null then ''
           -- Few providers around: gather them all from the GiST index and sort. Many:
           -- walk the rating or price index and keep those in range (no box, so the
           -- planner does not mistake the area for a handful of rows).
           when dense then ' and extensions.earth_distance(pl.location, $10) <= $11'
                || ' and extensions.earth_distance(pl.location, $10) <= coalesce(l.coverage_radius_m, p.service_radius_m)'
           else ' and extensions.earth_box($10, $11) operator(extensions.@>) pl.location'
                || ' and extensions.earth_distance(pl.location, $10) <= $11'
                || ' and extensions.earth_distance(pl.location, $10) <= coalesce(l.coverage_radius_m, p.service_radius_m)'
      end,
      keyset,
      case sort_by when 'rating' then 'coalesce(p.rating_average, 0) desc' else 'l.price_minor' end,
      case when available_at is null then 'limit $15' else '' end);
    for hit in execute candidates
      using markets, verified_markets, inactive_categories, categories, pattern, text_query, text_categories,
            min_rating, max_price_minor, origin, radius, after_key, after_provider, after, skip + page_size,
            null::uuid[], null::double precision[], available_at
    loop
      availability := private.listing_availability(hit.listing, available_at);
      continue when available_at is not null and not availability.bookable;
      if skip > 0 then
        skip := skip - 1;
        continue;
      end if;
      hit_ids := hit_ids || hit.listing_id;
      hit_distances := hit_distances || hit.distance;
      hit_slots := hit_slots || availability.next_slot;
      exit when cardinality(hit_ids) >= page_size;
    end loop;
  end if;

  return query
    select lr.id, lr.provider_id, lr.category_id, lr.market_code, private.translate(lr.title, coalesce(locale, 'en')),
           pr.business_name, pr.verified, pr.rating_average, pr.rating_count, lr.price_minor, mk.currency_code,
           lr.pricing_unit, lr.duration_minutes,
           -- Rounded to 100 m: enough to choose by, too coarse to find someone's door.
           case when h.hdistance is not null then (greatest(1, round(h.hdistance / 100)) * 100)::integer end,
           h.hslot
    from unnest(hit_ids, hit_distances, hit_slots) with ordinality as h (hid, hdistance, hslot, hord)
    join public.service_listings as lr on lr.id = h.hid
    join public.providers as pr on pr.id = lr.provider_id
    join public.markets as mk on mk.code = lr.market_code
    order by h.hord;
end;
$$;
revoke execute on function private.search_services(text, uuid, double precision, double precision, integer, numeric, boolean, bigint, timestamptz, text, text, text, integer, integer, uuid) from public;
grant execute on function private.search_services(text, uuid, double precision, double precision, integer, numeric, boolean, bigint, timestamptz, text, text, text, integer, integer, uuid) to anon, authenticated, service_role;

-- API: search listings. Every filter is optional: free text in any language, a
-- category (with its subcategories), a point and radius (listings whose provider
-- serves that point), minimum rating, verified providers only, a price ceiling (per
-- hour for hourly listings), a start time the listing must be bookable at, a market.
-- Sort by 'distance' (default with a point), 'rating' (default otherwise) or 'price'.
-- Pages: `page` (0-based) or keyset with `after` = the last listing_id of the page before.
create function public.search_services(
  query text default null,
  category uuid default null,
  near_lat double precision default null,
  near_lng double precision default null,
  radius_m integer default null,
  min_rating numeric default null,
  verified_only boolean default false,
  max_price_minor bigint default null,
  available_at timestamptz default null,
  market text default null,
  sort text default null,
  locale text default 'en',
  page_size integer default 20,
  page integer default 0,
  after uuid default null
)
returns table (
  listing_id uuid,
  provider_id uuid,
  category_id uuid,
  market_code text,
  title text,
  provider_name text,
  verified boolean,
  rating_average numeric,
  rating_count integer,
  price_minor bigint,
  currency_code text,
  pricing_unit public.pricing_unit,
  duration_minutes integer,
  distance_m integer,
  next_slot_at timestamptz
)
stable
security invoker
set search_path = ''
language sql
as $$
  select * from private.search_services(query, category, near_lat, near_lng, radius_m, min_rating, verified_only,
                                        max_price_minor, available_at, market, sort, locale, page_size, page, after);
$$;
revoke execute on function public.search_services(text, uuid, double precision, double precision, integer, numeric, boolean, bigint, timestamptz, text, text, text, integer, integer, uuid) from public;
grant execute on function public.search_services(text, uuid, double precision, double precision, integer, numeric, boolean, bigint, timestamptz, text, text, text, integer, integer, uuid) to anon, authenticated, service_role;

-- Search: the one RPC behind the apps' search screen. Anyone may search; it returns
-- public listing and provider fields, the distance rounded to 100 m (never the
-- provider's coordinates) and each listing's next free start.
--
-- The query is assembled from fixed fragments for the filters actually given (values
-- travel as parameters), so each combination gets a plan that fits it. Nearest-first
-- walks the GiST index on provider locations in batches (the planner cannot estimate a
-- radius, so it is not left to choose); rating and price order follow their indexes.
-- The availability test, the costliest, runs only on rows read for the page.

insert into private.error_catalogue (code, sqlstate, message) values
  ('invalid_search', '22023', 'This search is not valid.');

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
  batch integer;
  batch_ids uuid[];
  batch_chords double precision[];
  resume_chord double precision;
  resume_provider uuid;
  resume_inclusive boolean := false;
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
    -- Nearest providers first, a batch at a time, straight from the GiST index; their
    -- listings in (distance, provider, listing) order. A batch that yields too few
    -- hits is followed by a larger one, until the radius is exhausted.
    candidates := format($sql$
      select l as listing, l.id as listing_id, n.chord, extensions.sec_to_gc(n.chord) as distance
      from unnest($16::uuid[], $17::double precision[]) as n (provider_id, chord)
      join public.providers as p on p.id = n.provider_id
      join public.service_listings as l on l.provider_id = n.provider_id
      where %s
        and extensions.sec_to_gc(n.chord) <= least($11, coalesce(l.coverage_radius_m, p.service_radius_m))
        and ($12 is null or n.chord > $12 or (n.chord = $12 and (n.provider_id > $13 or (n.provider_id = $13 and l.id > $14))))
      order by n.chord, n.provider_id, l.id
    $sql$, filters);
    batch := greatest(50, (skip + page_size) * 2);
    resume_chord := after_key;
    resume_provider := after_provider;
    resume_inclusive := after is not null;
    while not done loop
      select array_agg(b.provider_id order by b.chord, b.provider_id), array_agg(b.chord order by b.chord, b.provider_id)
      into batch_ids, batch_chords
      from (
        select pl.provider_id, pl.location operator(extensions.<->) origin as chord
        from public.provider_locations as pl
        where resume_chord is null
           or (pl.location operator(extensions.<->) origin) > resume_chord
           or ((pl.location operator(extensions.<->) origin) = resume_chord
               and (pl.provider_id > resume_provider or (resume_inclusive and pl.provider_id = resume_provider)))
        order by pl.location operator(extensions.<->) origin, pl.provider_id
        limit batch
      ) as b;
      exit when batch_ids is null;
      for hit in execute candidates
        using markets, verified_markets, inactive_categories, categories, pattern, text_query, text_categories,
              min_rating, max_price_minor, origin, radius, after_key, after_provider, after, null::integer,
              batch_ids, batch_chords
      loop
        continue when available_at is not null and not private.is_bookable_start(hit.listing, available_at);
        if skip > 0 then
          skip := skip - 1;
          continue;
        end if;
        hit_ids := hit_ids || hit.listing_id;
        hit_distances := hit_distances || hit.distance;
        done := cardinality(hit_ids) >= page_size;
        exit when done;
      end loop;
      -- Done when the page is full, no provider is left, or the last one is beyond the radius.
      done := done or cardinality(batch_ids) < batch
              or extensions.sec_to_gc(batch_chords[cardinality(batch_chords)]) > radius;
      resume_chord := batch_chords[cardinality(batch_chords)];
      resume_provider := batch_ids[cardinality(batch_ids)];
      resume_inclusive := false;
      batch := least(batch * 4, 20000);
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
            null::uuid[], null::double precision[]
    loop
      continue when available_at is not null and not private.is_bookable_start(hit.listing, available_at);
      if skip > 0 then
        skip := skip - 1;
        continue;
      end if;
      hit_ids := hit_ids || hit.listing_id;
      hit_distances := hit_distances || hit.distance;
      exit when cardinality(hit_ids) >= page_size;
    end loop;
  end if;

  return query
    select lr.id, lr.provider_id, lr.category_id, lr.market_code, private.translate(lr.title, coalesce(locale, 'en')),
           pr.business_name, pr.verified, pr.rating_average, pr.rating_count, lr.price_minor, mk.currency_code,
           lr.pricing_unit, lr.duration_minutes,
           -- Rounded to 100 m: enough to choose by, too coarse to find someone's door.
           case when h.hdistance is not null then (greatest(1, round(h.hdistance / 100)) * 100)::integer end,
           private.next_free_slot(lr)
    from unnest(hit_ids, hit_distances) with ordinality as h (hid, hdistance, hord)
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

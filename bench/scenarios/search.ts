// P2: the search screen. public.search_services with a category, a point and a 10 km
// radius, a minimum rating and a time the listing must be bookable at (sorted nearest
// first, 20 a page), as PostgREST runs `GET /rpc/search_services?category=…&near_lat=…
// &near_lng=…&radius_m=10000&min_rating=…&available_at=…&market=…`: one READ ONLY
// transaction, the arguments as one JSON parameter. Random points drawn like the
// providers' own bases around four cities, random categories (four in five a leaf such
// as Plumbing, one in five a whole branch such as Home repair), minimum rating 3.5, 4
// or 4.5, and a random start on the half-hour between 08:00 and 18:30 local time in
// the next 14 days. The same searches as `authenticated`, `service_role` and `anon`,
// each on its own connection, rotated so each runs first as often as the others.
// Targets: p95 ≤ 15 ms; authenticated ≤ 1.2× service_role (anon reported too).
//
// Data (bench/lib/services.ts, made once per run, shared with my-bookings and
// review-insert): 100k providers (real auth users, gh and uz) based around Accra,
// Kumasi, Tashkent and Samarkand (normal spread of 5–9 km), 85 % verified (gh shows
// only verified providers), 97 % active, 80 % rated (the rating aggregate that
// reviews_apply_to_rating keeps, set in bulk: 1–250 reviews, averages skewed high),
// five weekly-hours shapes, one in ten with a day off in the next two weeks; 500k
// listings (five per provider, in the leaves of one branch of a 3-root, 20-leaf tree,
// 5 % inactive, durations 30–180 min, buffers, notice); and the million bookings of
// my-bookings (50k of them ahead, holding time). Written with INSERT … SELECT
// generate_series (providers' accounts through auth.users with the sign-up trigger on;
// the rest in replica mode, foreign keys skipped, prepare_listing's work done in the
// SQL, search's places made by private.place_listings, secondary indexes rebuilt), then
// VACUUM ANALYZE. When the whole bench runs,
// review-insert has run first (name order) and its million reviews count in the
// providers' rating aggregates too.
import type postgres from 'postgres';
import type { Tx } from '../lib/request.ts';
import { defineScenario, latencyResult, ratioResult, type Result } from '../lib/scenario.ts';
import { CITIES, ensureCategories, ensureWorld, measureRotating, randomPoint } from '../lib/services.ts';
import { formatMs, summarize, type Stats } from '../lib/timing.ts';
import { claimsFor, seededRandom } from '../lib/users.ts';

const WARMUP = 100;
const ITERATIONS = 1_000;
/** Searches re-run with track_functions = all, to say where the time goes. */
const PROFILED = 100;
const MAX_MS = 15;
const MAX_RATIO = 1.2;
const RADIUS_M = 10_000;
const PAGE = 20;

type Sql = postgres.Sql;

/** UTC offsets of the cities' zones (neither observes daylight saving time). */
const UTC_OFFSET_HOURS: Record<string, number> = { 'Africa/Accra': 0, 'Asia/Tashkent': 5 };

interface Search {
  category: string;
  near_lat: number;
  near_lng: number;
  radius_m: number;
  min_rating: number;
  available_at: string;
  market: string;
}

interface Hit {
  listing_id: string;
  provider_id: string;
  category_id: string;
  rating_average: string | null;
  distance_m: number;
  verified: boolean;
}

/** GET /rpc/search_services?…, as PostgREST 12 calls a function with query-string arguments. */
const STATEMENT = `
  with pgrst_source as (
    select pgrst_call.*
    from json_to_record($1::json) as pgrst_body (
           category uuid, near_lat double precision, near_lng double precision, radius_m integer,
           min_rating numeric, available_at timestamptz, market text),
         lateral "public"."search_services"(
           "category" := pgrst_body.category, "near_lat" := pgrst_body.near_lat, "near_lng" := pgrst_body.near_lng,
           "radius_m" := pgrst_body.radius_m, "min_rating" := pgrst_body.min_rating,
           "available_at" := pgrst_body.available_at, "market" := pgrst_body.market) as pgrst_call
  )
  select null::bigint as total_result_set,
         pg_catalog.count(_postgrest_t) as page_total,
         coalesce(json_agg(_postgrest_t), '[]') as body,
         nullif(current_setting('response.headers', true), '') as response_headers,
         nullif(current_setting('response.status', true), '') as response_status
  from (select * from pgrst_source) as _postgrest_t`;

async function search(tx: Tx, args: Search): Promise<Hit[]> {
  // The query-string arguments as one JSON parameter (postgres.js serializes it for json).
  const [row] = await tx.unsafe(STATEMENT, [args as never], { prepare: true });
  return (row as unknown as { body: Hit[] }).body;
}

interface Split {
  searches: number;
  totalMs: number;
  availabilityMs: number;
  ownMs: number;
}

/**
 * Where a search's time goes: the same searches as the superuser with track_functions =
 * 'all', per-function time read from pg_stat_xact_user_functions before and after each.
 * listing_availability is the per-candidate availability test (with the next free
 * start of those shown); what private.search_services spends itself is its own
 * statements (the nearest-first batches from the places index and the candidate
 * queries).
 */
async function profile(admin: Sql, searches: Search[]): Promise<Split> {
  const split: Split = { searches: searches.length, totalMs: 0, availabilityMs: 0, ownMs: 0 };
  const read = (tx: Tx) => tx<{ schema: string; name: string; total: number; self: number }[]>`
    select schemaname as schema, funcname as name, total_time as total, self_time as self
    from pg_stat_xact_user_functions where schemaname = 'private'`;
  for (const args of searches) {
    await admin.begin(async (tx) => {
      await tx`set local track_functions = 'all'`;
      const before = await read(tx);
      const started = process.hrtime.bigint();
      await tx`
        select count(*) from public.search_services(
          category => ${args.category}::uuid, near_lat => ${args.near_lat}, near_lng => ${args.near_lng},
          radius_m => ${args.radius_m}, min_rating => ${args.min_rating}, available_at => ${args.available_at}::timestamptz,
          market => ${args.market})`;
      split.totalMs += Number(process.hrtime.bigint() - started) / 1e6;
      const after = await read(tx);
      const delta = (name: string, field: 'total' | 'self') =>
        (after.find((f) => f.name === name)?.[field] ?? 0) - (before.find((f) => f.name === name)?.[field] ?? 0);
      split.availabilityMs += delta('listing_availability', 'total');
      split.ownMs += delta('search_services', 'self');
    });
  }
  return split;
}

function information(result: Result): Result {
  return { ...result, target: `information (${result.target})`, pass: true };
}

export default defineScenario({
  name: 'search',
  description: 'P2: search_services (category, 10 km, min rating, available at) on 100k providers / 500k listings',
  async run(ctx) {
    const world = await ensureWorld(ctx);
    const categories = await ensureCategories(ctx.admin);
    const [counts] = (await ctx.admin`
      select (select count(*)::int from public.providers) as providers,
             (select count(*)::int from public.service_listings) as listings`) as unknown as [{ providers: number; listings: number }];

    const random = seededRandom(2_000_002);
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    const searches: Search[] = Array.from({ length: WARMUP + ITERATIONS }, () => {
      const point = randomPoint(random);
      const day = 1 + Math.floor(random() * 14);
      const localMinutes = 8 * 60 + 30 * Math.floor(random() * 22);
      const at = new Date(today.getTime() + day * 86_400_000 + (localMinutes - 60 * UTC_OFFSET_HOURS[point.city.timeZone]!) * 60_000);
      return {
        category: random() < 0.8
          ? categories.leaves[Math.floor(random() * categories.leaves.length)]!
          : categories.roots[Math.floor(random() * categories.roots.length)]!,
        near_lat: Number(point.lat.toFixed(5)),
        near_lng: Number(point.lng.toFixed(5)),
        radius_m: RADIUS_M,
        min_rating: [3.5, 4, 4.5][Math.floor(random() * 3)]!,
        available_at: at.toISOString(),
        market: point.city.market,
      };
    });
    if (CITIES.some((c) => UTC_OFFSET_HOURS[c.timeZone] === undefined)) throw new Error('a city has no known UTC offset');

    const [customer] = await claimsFor(ctx.admin, world.customers.slice(0, 1));
    const asAuthenticated = await ctx.api();
    const asService = await ctx.api();
    const asAnon = await ctx.api();
    const request = { method: 'GET', path: '/rpc/search_services' } as const;

    // The three roles must get the same page, and the page must honour the filters.
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const args = searches[i]!;
      const mine = await asAuthenticated.asUser(customer!, request, (tx) => search(tx, args));
      const service = await asService.asServiceRole(request, (tx) => search(tx, args));
      const anon = await asAnon.asAnon(request, (tx) => search(tx, args));
      if (JSON.stringify(mine) !== JSON.stringify(service) || JSON.stringify(anon) !== JSON.stringify(service)) {
        throw new Error('authenticated, service_role and anon get different search results');
      }
      for (const hit of mine) {
        if (hit.distance_m > RADIUS_M + 100 || Number(hit.rating_average ?? 0) < args.min_rating) {
          throw new Error(`a search returned a listing outside its filters: ${JSON.stringify(hit)}`);
        }
        if (args.market === 'gh' && !hit.verified) throw new Error('an unverified provider was found in gh');
      }
      sizes.push(mine.length);
    }

    ctx.log(`  ${counts.providers.toLocaleString('en')} providers, ${counts.listings.toLocaleString('en')} listings; ${WARMUP} warm-up + ${ITERATIONS} searches per role`);
    const wall = { authenticated: [] as number[], service_role: [] as number[], anon: [] as number[] };
    const pages: number[] = [];
    // Each sample is the main statement's time; the whole request's time is kept alongside.
    const statement = (args: Search, record: boolean) => async (tx: Tx) => {
      const started = process.hrtime.bigint();
      const hits = await search(tx, args);
      if (record) pages.push(hits.length);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const variant =
      (name: keyof typeof wall, run: (i: number) => Promise<{ ms: number }>) =>
      async (i: number): Promise<{ ms: number }> => {
        const started = process.hrtime.bigint();
        const result = await run(i);
        if (i >= WARMUP) wall[name].push(Number(process.hrtime.bigint() - started) / 1e6);
        return result;
      };
    const statements = await measureRotating(
      {
        authenticated: variant('authenticated', (i) =>
          asAuthenticated.asUser(customer!, request, statement(searches[i]!, i >= WARMUP))),
        service_role: variant('service_role', (i) => asService.asServiceRole(request, statement(searches[i]!, false))),
        anon: variant('anon', (i) => asAnon.asAnon(request, statement(searches[i]!, false))),
      },
      { iterations: ITERATIONS, warmup: WARMUP },
    );
    const requests: Record<keyof typeof wall, Stats> = {
      authenticated: summarize(wall.authenticated),
      service_role: summarize(wall.service_role),
      anon: summarize(wall.anon),
    };
    for (const [name, stats] of Object.entries(statements)) {
      const whole = requests[name as keyof typeof wall];
      ctx.log(`    ${name}: statement p50 ${formatMs(stats.p50)} p95 ${formatMs(stats.p95)} p99 ${formatMs(stats.p99)} · request p50 ${formatMs(whole.p50)} p95 ${formatMs(whole.p95)}`);
    }
    const full = pages.filter((n) => n === PAGE).length;
    const empty = pages.filter((n) => n === 0).length;
    ctx.log(`    pages: ${full} full, ${pages.length - full - empty} partial, ${empty} empty (of ${pages.length})`);

    const split = await profile(ctx.admin, searches.slice(WARMUP, WARMUP + PROFILED));
    const percent = (ms: number) => `${Math.round((100 * ms) / split.totalMs)} %`;
    ctx.log(`    time split over ${split.searches} searches (${formatMs(split.totalMs / split.searches)} each): availability and next free start ${percent(split.availabilityMs)}, own statements ${percent(split.ownMs)}`);

    return [
      latencyResult({ metric: 'search_services as authenticated, whole request', stats: requests.authenticated, maxMs: MAX_MS }),
      information(latencyResult({ metric: '  of which the search_services statement', stats: statements.authenticated, maxMs: MAX_MS })),
      ratioResult({
        metric: 'search_services, authenticated vs service_role, whole request',
        candidate: { label: 'authenticated', stats: requests.authenticated },
        baseline: { label: 'service_role', stats: requests.service_role },
        maxRatio: MAX_RATIO,
      }),
      ratioResult({
        metric: '  the same, main statement only',
        candidate: { label: 'authenticated', stats: statements.authenticated },
        baseline: { label: 'service_role', stats: statements.service_role },
        maxRatio: MAX_RATIO,
      }),
      information(ratioResult({
        metric: 'search_services, anon vs service_role, whole request',
        candidate: { label: 'anon', stats: requests.anon },
        baseline: { label: 'service_role', stats: requests.service_role },
        maxRatio: MAX_RATIO,
      })),
      {
        metric: `  where the time goes (${split.searches} searches, track_functions)`,
        measured: `listing_availability ${percent(split.availabilityMs)} · batches and candidate queries ${percent(split.ownMs)}`,
        target: 'information',
        ratio: null,
        pass: true,
      },
      {
        metric: 'pages returned (of 20 results)',
        measured: `${full} full · ${pages.length - full - empty} partial · ${empty} empty`,
        target: 'information',
        ratio: null,
        pass: true,
      },
    ];
  },
});

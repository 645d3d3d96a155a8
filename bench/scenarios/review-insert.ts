// P4: a review costs the same with a million reviews in the table as with a thousand.
//
// What is timed: a customer reviewing a completed booking through public.submit_review,
// as PostgREST runs `POST /rpc/submit_review` (one transaction as `authenticated`),
// on bookings the provider has already reviewed, so every call takes the whole path:
// the booking row lock, the insert (six indexes), publishing both reviews, the
// reviews_apply_to_rating trigger adding the customer's rating to the provider's
// aggregate, and publish_due_reviews. Measured with 1,000 reviews in the table (they
// grow to 2,000 as the measured calls add theirs), then again after growing the table
// to 1,000,000 reviews, in the same run, on the same bookings table (the world's
// million bookings plus the 2,000 made here). Target: p95 at 1M ≤ 1.5× p95 at 1k.
// Afterwards, the providers' aggregates must have moved by exactly the measured reviews.
//
// Data: the measured bookings (2,000, by random customers of random world providers,
// completed a day ago) and the provider's review of each are written by INSERT …
// SELECT; the growth to 1M reviews are the customer's review of every completed world
// booking (published, 60 % five stars … 4 % one star, two in five with a comment, one
// in five hundred hidden by an admin) and the provider's review of part of them, in
// two halves on two connections in replica mode, which skips the per-row aggregate
// trigger and foreign-key checks: the aggregate is then added in bulk, one UPDATE of
// providers with each subject's count and sum (what the trigger would have added row by
// row), and the reviews' secondary indexes are rebuilt from their own definitions
// (fuller pages than incremental growth leaves, which if anything makes later inserts
// split more: it errs against the target). Then VACUUM ANALYZE. See bench/lib/services.ts
// for the world.
import type postgres from 'postgres';
import type { Claims, Tx } from '../lib/request.ts';
import { defineScenario, ratioResult, type BenchContext } from '../lib/scenario.ts';
import { bulkLoad, ensureWorld } from '../lib/services.ts';
import { formatMs, measure, summarize, type Stats } from '../lib/timing.ts';
import { claimsFor, pickRandom, seededRandom } from '../lib/users.ts';

const WARMUP = 100;
const ITERATIONS = 900;
/** Reviews in the table for the first measurement: the provider reviews of its bookings. */
const SMALL = WARMUP + ITERATIONS;
const LARGE = 1_000_000;
const MAX_RATIO = 1.5;
const KEY = 'bench-review-';

type Sql = postgres.Sql;

interface Measured {
  booking: string;
  provider: string;
  claims: Claims;
  rating: number;
}

/** POST /rpc/submit_review, as PostgREST 12 calls a function with a JSON body. */
const STATEMENT = `
  with pgrst_source as (
    select pgrst_call.*
    from json_to_record($1::json) as pgrst_body (booking_id uuid, rating integer, comment text),
         lateral "public"."submit_review"("booking_id" := pgrst_body.booking_id, "rating" := pgrst_body.rating,
                                          "comment" := pgrst_body.comment) as pgrst_call
  )
  select null::bigint as total_result_set,
         pg_catalog.count(_postgrest_t) as page_total,
         coalesce(json_agg(_postgrest_t), '[]') as body,
         nullif(current_setting('response.headers', true), '') as response_headers,
         nullif(current_setting('response.status', true), '') as response_status
  from (select * from pgrst_source) as _postgrest_t`;

/** The provider's review of each booking: unpublished, it waits for the customer's. */
async function providerReviews(admin: Sql, bookings: string[]): Promise<void> {
  await admin`
    insert into public.reviews (booking_id, author_id, subject_id, author_role, rating, comment, created_at, publish_after)
    select b.id, b.provider_id, b.customer_id, 'provider', 5, 'Friendly and on time.', b.completed_at + interval '1 hour',
           b.completed_at + interval '7 days'
    from public.bookings as b
    where b.id = any(${bookings}::uuid[])`;
}

/**
 * Completed bookings for the measured calls (random customers and providers, completed
 * a day ago, so inside the review window).
 */
async function measuredBookings(admin: Sql, customers: string[], providers: string[], count: number, random: () => number): Promise<{ booking: string; customer: string; provider: string }[]> {
  const who = pickRandom(customers, count, random);
  const by = Array.from({ length: count }, () => providers[Math.floor(random() * providers.length)]!);
  return admin.begin(async (tx) => {
    return tx<{ booking: string; customer: string; provider: string }[]>`
      insert into public.bookings (listing_id, provider_id, customer_id, market_code, status, starts_at, ends_at, occupied,
                                   time_zone, price_minor, currency_code, pricing_unit, address, lat, lng, idempotency_key,
                                   expires_at, status_changed_at, accepted_at, started_at, completed_at, created_at)
      select l.id, l.provider_id, w.customer, l.market_code, 'completed', t.starts_at, t.ends_at,
             tstzrange(t.starts_at - make_interval(mins => l.buffer_before_minutes),
                       t.ends_at + make_interval(mins => l.buffer_after_minutes)),
             p.time_zone, l.price_minor, m.currency_code, l.pricing_unit, 'House ' || w.n || ', Review Street',
             pl.lat + 0.01, pl.lng, ${KEY} || w.n, t.starts_at - interval '1 day', t.ends_at, t.starts_at - interval '2 days',
             t.starts_at, t.ends_at, t.starts_at - interval '3 days'
      from unnest(${who}::uuid[], ${by}::uuid[]) with ordinality as w (customer, provider, n)
      join public.providers as p on p.id = w.provider
      join public.provider_locations as pl on pl.provider_id = p.id
      join public.markets as m on m.code = p.market_code
      cross join lateral (select * from public.service_listings as l where l.provider_id = p.id order by l.id limit 1) as l
      cross join lateral (
        select date_trunc('hour', now()) - interval '1 day' - w.n * interval '1 minute' - make_interval(mins => l.duration_minutes) as starts_at,
               date_trunc('hour', now()) - interval '1 day' - w.n * interval '1 minute' as ends_at
      ) as t
      order by w.n
      returning id as booking, customer_id as customer, provider_id as provider`;
  });
}

/** Grows reviews to `target` rows: reviews of completed world bookings, aggregates added in bulk. */
async function growReviews(adminUrl: string, admin: Sql, target: number, log: (line: string) => void): Promise<void> {
  const [{ have }] = (await admin`select count(*)::int as have from public.reviews`) as unknown as [{ have: number }];
  const [{ completed }] = (await admin`
    select count(*)::int as completed from public.bookings
    where status = 'completed' and idempotency_key like 'bench-world-%'`) as unknown as [{ completed: number }];
  const missing = target - have;
  const byProviders = missing - completed;
  if (byProviders < 0 || byProviders > completed) throw new Error(`cannot make ${missing} reviews from ${completed} completed bookings`);
  const started = performance.now();
  // Customers review every completed world booking; providers review the first
  // `byProviders` of them. In halves by booking id, on two connections.
  const job = (role: 'customer' | 'provider', half: 0 | 1) => async (tx: Tx) => {
    await tx`select setseed(${role === 'customer' ? 0.11 + half / 10 : 0.51 + half / 10})`;
    return tx`
      with world as (
        select b.id, b.customer_id, b.provider_id, b.completed_at, row_number() over (order by b.id) as n
        from public.bookings as b
        where b.status = 'completed' and b.idempotency_key like 'bench-world-%'
      ),
      chosen as materialized (
        select w.*, random() as stars, random() as says, random() as hide, random() as delay
        from world as w
        where (${role} = 'customer' or w.n <= ${byProviders}) and w.n % 2 = ${half}
      )
      insert into public.reviews (booking_id, author_id, subject_id, author_role, rating, comment, created_at,
                                  publish_after, published_at, hidden_at, hidden_reason)
      select c.id,
             case when ${role} = 'customer' then c.customer_id else c.provider_id end,
             case when ${role} = 'customer' then c.provider_id else c.customer_id end,
             ${role}::public.booking_actor,
             case when c.stars < 0.60 then 5 when c.stars < 0.85 then 4 when c.stars < 0.93 then 3 when c.stars < 0.96 then 2 else 1 end,
             case when c.says < 0.4 then 'Did a careful job and cleaned up afterwards. Would book again.' end,
             c.completed_at + c.delay * interval '3 days',
             c.completed_at + interval '7 days',
             c.completed_at + interval '3 days' + c.delay * interval '4 days',
             case when c.hide < 0.002 then c.completed_at + interval '8 days' end,
             case when c.hide < 0.002 then 'Personal details in the comment' end
      from chosen as c
      order by c.n`;
  };
  await bulkLoad(adminUrl, {
    table: 'public.reviews',
    label: 'reviews',
    rebuildIndexes: true,
    jobs: [job('customer', 0), job('customer', 1), job('provider', 0), job('provider', 1)],
    log,
  });
  // What reviews_apply_to_rating would have added, row by row: published, unhidden
  // customer reviews, per provider.
  const updated = await admin`
    update public.providers as p
    set rating_count = p.rating_count + r.count, rating_sum = p.rating_sum + r.sum
    from (
      select r.subject_id, count(*)::int as count, sum(r.rating)::bigint as sum
      from public.reviews as r
      join public.bookings as b on b.id = r.booking_id
      where b.idempotency_key like 'bench-world-%'
        and private.review_counts(r.author_role, r.published_at, r.hidden_at)
      group by r.subject_id
    ) as r
    where p.id = r.subject_id`;
  log(`    rating aggregates of ${updated.count.toLocaleString('en')} providers updated in bulk`);
  await admin`vacuum analyze public.reviews`;
  // The UPDATE above rewrote search's places (providers_place, ratings in place).
  await admin`vacuum analyze public.providers`;
  await admin`vacuum analyze private.listing_places`;
  await admin`vacuum analyze public.providers`;
  await admin`checkpoint`;
  log(`  reviews grown to ${target.toLocaleString('en')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function submit(tx: Tx, m: Measured): Promise<void> {
  const [row] = await tx.unsafe(STATEMENT, [{ booking_id: m.booking, rating: m.rating, comment: 'Quick and tidy.' } as never], { prepare: true });
  const body = (row as unknown as { body: { published_at: string | null }[] }).body;
  if (body.length !== 1 || body[0]!.published_at === null) throw new Error('submit_review did not publish both reviews');
}

async function measurePhase(ctx: BenchContext, batch: Measured[]): Promise<{ request: Stats; statement: Stats }> {
  const runner = await ctx.api();
  const request = { method: 'POST', path: '/rpc/submit_review' } as const;
  const wall: number[] = [];
  const statement = await measure(
    async (i) => {
      const started = process.hrtime.bigint();
      const result = await runner.asUser(batch[i]!.claims, request, async (tx) => {
        const begun = process.hrtime.bigint();
        await submit(tx, batch[i]!);
        return { ms: Number(process.hrtime.bigint() - begun) / 1e6 };
      });
      if (i >= WARMUP) wall.push(Number(process.hrtime.bigint() - started) / 1e6);
      return result;
    },
    { warmup: WARMUP, iterations: ITERATIONS },
  );
  return { request: summarize(wall), statement };
}


export default defineScenario({
  name: 'review-insert',
  description: 'P4: submit_review (insert, publish, rating aggregate) with 1k vs 1M reviews in the table',
  async run(ctx) {
    const world = await ensureWorld(ctx);
    const [{ have }] = (await ctx.admin`select count(*)::int as have from public.reviews`) as unknown as [{ have: number }];
    if (have !== 0) throw new Error(`review-insert needs an empty reviews table, found ${have} reviews`);
    const random = seededRandom(4_000_004);

    ctx.log(`  ${2 * SMALL} completed bookings to review, each reviewed by its provider`);
    const made = await measuredBookings(ctx.admin, world.customers, world.providers, 2 * SMALL, random);
    const claims = await claimsFor(ctx.admin, made.map((m) => m.customer));
    const all: Measured[] = made.map((m, i) => ({
      booking: m.booking,
      provider: m.provider,
      claims: claims[i]!,
      rating: 1 + Math.floor(random() * 5),
    }));
    const [small, large] = [all.slice(0, SMALL), all.slice(SMALL)];
    const count = async () =>
      ((await ctx.admin`select count(*)::int as n from public.reviews`) as unknown as [{ n: number }])[0].n;
    const aggregates = async () =>
      new Map((await ctx.admin<{ id: string; count: number; sum: string }[]>`
        select id, rating_count as count, rating_sum::text as sum from public.providers
        where id = any(${world.providers}::uuid[])`).map((p) => [p.id, { count: p.count, sum: Number(p.sum) }]));
    // Every measured review must have moved its provider's aggregate by exactly its rating.
    const check = (from: Map<string, { count: number; sum: number }>, to: Map<string, { count: number; sum: number }>, batch: Measured[]) => {
      const expected = new Map<string, { count: number; sum: number }>();
      for (const m of batch) {
        const e = expected.get(m.provider) ?? { count: 0, sum: 0 };
        expected.set(m.provider, { count: e.count + 1, sum: e.sum + m.rating });
      }
      for (const [id, e] of expected) {
        const a = from.get(id)!;
        const b = to.get(id)!;
        if (b.count - a.count !== e.count || b.sum - a.sum !== e.sum) {
          throw new Error(`provider ${id}: aggregate moved by ${b.count - a.count}/${b.sum - a.sum}, expected ${e.count}/${e.sum}`);
        }
      }
    };

    await providerReviews(ctx.admin, small.map((m) => m.booking));
    // Both phases start from settled tables (hint bits set, statistics fresh, no checkpoint due).
    await ctx.admin`vacuum analyze public.bookings`;
    await ctx.admin`vacuum analyze public.reviews`;
    await ctx.admin`checkpoint`;
    const atSmall = await count();
    let before = await aggregates();
    ctx.log(`  phase 1: ${atSmall.toLocaleString('en')} reviews; ${WARMUP} warm-up + ${ITERATIONS} submit_review calls`);
    const first = await measurePhase(ctx, small);
    const afterSmall = await count();
    check(before, await aggregates(), small);

    ctx.log(`  growing reviews to ${LARGE.toLocaleString('en')}`);
    await providerReviews(ctx.admin, large.map((m) => m.booking));
    await growReviews(ctx.db.adminUrl, ctx.admin, LARGE, ctx.log);
    const atLarge = await count();
    before = await aggregates();
    ctx.log(`  phase 2: ${atLarge.toLocaleString('en')} reviews; ${WARMUP} warm-up + ${ITERATIONS} submit_review calls`);
    const second = await measurePhase(ctx, large);
    check(before, await aggregates(), large);

    for (const [label, phase] of [['1k', first], ['1M', second]] as const) {
      ctx.log(`    ${label}: statement p50 ${formatMs(phase.statement.p50)} p95 ${formatMs(phase.statement.p95)} · request p50 ${formatMs(phase.request.p50)} p95 ${formatMs(phase.request.p95)}`);
    }
    const sizes = `${(atSmall / 1000).toFixed(0)}k–${(afterSmall / 1000).toFixed(0)}k vs ${(atLarge / 1e6).toFixed(2)}M reviews`;
    return [
      ratioResult({
        metric: `submit_review whole request, ${sizes}`,
        candidate: { label: '1M', stats: second.request },
        baseline: { label: '1k', stats: first.request },
        maxRatio: MAX_RATIO,
      }),
      ratioResult({
        metric: '  the same, submit_review statement only',
        candidate: { label: '1M', stats: second.statement },
        baseline: { label: '1k', stats: first.statement },
        maxRatio: MAX_RATIO,
      }),
    ];
  },
});

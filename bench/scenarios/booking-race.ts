// P1: bookings under concurrency.
//
// 1. The race: 64 customers, each on its own connection of a 64-connection pool as
//    `authenticator` (PostgREST's pool: every request its own transaction, role and
//    claims set as PostgREST sets them), all at once request every one of 100 contested
//    slots (50 back-to-back one-hour slots, with 10-minute buffers, of each of two
//    providers) through `POST /rpc/request_booking`, each in its own random order:
//    6,400 calls. Target: no double booking. Checked in the database afterwards (no two
//    holding bookings of a provider overlap; every slot has exactly one holding
//    booking) and against the answers (exactly 100 bookings made). A second row checks
//    that every losing call was refused with slot_unavailable (the contract
//    tests/services/concurrency.test.ts asserts at 8 connections), not a server error.
// 2. Throughput on uncontested slots: the same 64 connections, each customer booking
//    one after another the free slots of a provider of their own, through
//    request_booking as `authenticated`, against a plain INSERT of the same row (the
//    columns request_booking writes, the same values) into public.bookings as
//    `service_role` (`POST /bookings`, triggers and foreign keys on), at the same
//    concurrency. Four rounds, the order alternating, about 6,400 calls each way.
//    Target: request_booking ≥ 0.5× the INSERT's successful calls per second. Then, for
//    information: both one call at a time on one connection, and request_booking's
//    server time split by function (track_functions), to show where the gap comes from.
//
// Data: 66 providers (real auth users in gh, the provider role, verified, open every
// day around the clock, one 60-minute listing with 10-minute buffers and 60 minutes'
// notice), made with the same bulk path as the world (bench/lib/services.ts); the
// customers are the first 64 of the run's 100k bench users (all made here, see run()).
// When the whole bench runs, the world's million bookings are not there yet
// (scenarios run in name order).
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import type { Claims, Tx } from '../lib/request.ts';
import { defineScenario, type Result } from '../lib/scenario.ts';
import { apiPool, ensureProviders, shuffled, WORLD } from '../lib/services.ts';
import { formatMs, measureInterleaved } from '../lib/timing.ts';
import { claimsFor, seededRandom } from '../lib/users.ts';

type Sql = postgres.Sql;

const CONNECTIONS = 64;
const CONTESTED_PROVIDERS = 2;
const SLOTS_PER_PROVIDER = 50;
const DURATION_MINUTES = 60;
const BUFFER_MINUTES = 10;
/** Back-to-back: one slot's occupied time ends where the next one's begins. */
const SLOT_MINUTES = DURATION_MINUTES + 2 * BUFFER_MINUTES;
const ROUNDS = 4;
const CALLS_PER_ROUND = 25;
const WARM_CALLS = 3;
const MIN_RATIO = 0.5;
const PRICE_MINOR = 10_000;
/** The sequential comparison (information). */
const SEQUENTIAL = { warmup: 30, iterations: 300 };
/** request_booking calls profiled with track_functions (information). */
const PROFILED = 100;

interface Lane {
  customer: Claims & { sub: string };
  listing: string;
  provider: string;
  lat: number;
  lng: number;
}

interface BookingRow {
  id: string;
  provider_id: string;
  starts_at: string;
}

/** POST /rpc/request_booking, as PostgREST 12 calls a function with a JSON body. */
const RPC = `
  with pgrst_source as (
    select pgrst_call.*
    from json_to_record($1::json) as pgrst_body (
           listing_id uuid, starts_at timestamptz, address text, lat double precision, lng double precision,
           idempotency_key text),
         lateral "public"."request_booking"(
           "listing_id" := pgrst_body.listing_id, "starts_at" := pgrst_body.starts_at, "address" := pgrst_body.address,
           "lat" := pgrst_body.lat, "lng" := pgrst_body.lng, "idempotency_key" := pgrst_body.idempotency_key) as pgrst_call
  )
  select null::bigint as total_result_set,
         pg_catalog.count(_postgrest_t) as page_total,
         coalesce(json_agg(_postgrest_t), '[]') as body,
         nullif(current_setting('response.headers', true), '') as response_headers,
         nullif(current_setting('response.status', true), '') as response_status
  from (select * from pgrst_source) as _postgrest_t`;

/** The columns request_booking writes, as PostgREST 12 inserts a JSON body (POST /bookings, return=representation). */
const COLUMNS: [string, string][] = [
  ['listing_id', 'uuid'], ['provider_id', 'uuid'], ['customer_id', 'uuid'], ['market_code', 'text'],
  ['status', 'public.booking_status'], ['starts_at', 'timestamptz'], ['ends_at', 'timestamptz'], ['occupied', 'tstzrange'],
  ['time_zone', 'text'], ['price_minor', 'bigint'], ['currency_code', 'text'], ['pricing_unit', 'public.pricing_unit'],
  ['address', 'text'], ['lat', 'double precision'], ['lng', 'double precision'], ['notes', 'text'],
  ['idempotency_key', 'text'], ['expires_at', 'timestamptz'],
];
const INSERT = `
  with pgrst_source as (
    insert into "public"."bookings" (${COLUMNS.map(([c]) => `"${c}"`).join(', ')})
    select ${COLUMNS.map(([c]) => `pgrst_body."${c}"`).join(', ')}
    from (select $1::json as json_data) as pgrst_payload,
         lateral (select case when json_typeof(pgrst_payload.json_data) = 'array' then pgrst_payload.json_data
                              else json_build_array(pgrst_payload.json_data) end as val) as pgrst_uniform_json,
         lateral (select * from json_to_recordset(pgrst_uniform_json.val)
                  as _ (${COLUMNS.map(([c, t]) => `"${c}" ${t}`).join(', ')})) as pgrst_body
    returning "public"."bookings".*
  )
  select '' as total_result_set,
         pg_catalog.count(_postgrest_t) as page_total,
         array[]::text[] as header,
         coalesce(json_agg(_postgrest_t), '[]') as body,
         nullif(current_setting('response.headers', true), '') as response_headers,
         nullif(current_setting('response.status', true), '') as response_status
  from (select * from pgrst_source) as _postgrest_t`;

const RPC_REQUEST = { method: 'POST', path: '/rpc/request_booking' } as const;
const INSERT_REQUEST = { method: 'POST', path: '/bookings', headers: { prefer: 'return=representation' } } as const;

/** Midnight UTC (also Accra's local midnight) `days` from today, plus minutes. */
function dayAt(days: number, minutes = 0): Date {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() + days * 86_400_000 + minutes * 60_000);
}

async function requestBooking(tx: Tx, lane: Lane, startsAt: Date, key: string): Promise<BookingRow> {
  const args = {
    listing_id: lane.listing,
    starts_at: startsAt.toISOString(),
    address: '12 Oxford Street, Osu',
    lat: lane.lat,
    lng: lane.lng,
    idempotency_key: key,
  };
  const [row] = await tx.unsafe(RPC, [args as never], { prepare: true });
  const body = (row as unknown as { body: BookingRow[] }).body;
  if (body.length !== 1) throw new Error(`request_booking returned ${body.length} rows`);
  return body[0]!;
}

async function insertBooking(tx: Tx, lane: Lane, startsAt: Date, key: string): Promise<BookingRow> {
  const start = startsAt.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const row = {
    listing_id: lane.listing,
    provider_id: lane.provider,
    customer_id: lane.customer.sub,
    market_code: 'gh',
    status: 'requested',
    starts_at: iso(start),
    ends_at: iso(start + DURATION_MINUTES * 60_000),
    occupied: `[${iso(start - BUFFER_MINUTES * 60_000)},${iso(start + (DURATION_MINUTES + BUFFER_MINUTES) * 60_000)})`,
    time_zone: 'Africa/Accra',
    price_minor: PRICE_MINOR,
    currency_code: 'GHS',
    pricing_unit: 'fixed',
    address: '12 Oxford Street, Osu',
    lat: lane.lat,
    lng: lane.lng,
    notes: null,
    idempotency_key: key,
    expires_at: iso(Math.min(Date.now() + 86_400_000, start)),
  };
  const [result] = await tx.unsafe(INSERT, [row as never], { prepare: true });
  const body = (result as unknown as { body: BookingRow[] }).body;
  if (body.length !== 1) throw new Error(`the insert returned ${body.length} rows`);
  return body[0]!;
}

/** Times only the main statement, inside the request's transaction. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number }> {
  const started = process.hrtime.bigint();
  await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * request_booking's server time by part: `count` calls, each its own transaction as the
 * customer (as PostgREST sets role and claims), with track_functions = 'all' (which
 * needs the superuser's connection), per-function times read from
 * pg_stat_xact_user_functions before and after each call.
 */
async function profileRequestBooking(admin: Sql, lane: Lane, count: number): Promise<{ total: number; parts: Record<string, number> }> {
  const parts: Record<string, number> = {
    provider_windows: 0,
    'the rest of the rules (check_listing_bookable, check_booking_start)': 0,
    record_booking_event: 0,
    'expire_booking_requests (only when a request of the provider is stale)': 0,
    'its own statements (account, listing with provider, settings and base, the expiry probe, the insert)': 0,
    'other helpers': 0,
  };
  let total = 0;
  const read = (tx: Tx) => tx<{ schema: string; name: string; total: number; self: number }[]>`
    select schemaname as schema, funcname as name, total_time as total, self_time as self
    from pg_stat_xact_user_functions where schemaname = 'private'`;
  for (let i = 0; i < count; i++) {
    await admin.begin(async (tx) => {
      await tx`set local track_functions = 'all'`;
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(lane.customer)}, true), set_config('role', 'authenticated', true)`;
      const before = await read(tx);
      await requestBooking(tx, lane, dayAt(12, i * SLOT_MINUTES), `profile-${i}`);
      const after = await read(tx);
      const delta = (name: string, field: 'total' | 'self') =>
        (after.find((f) => f.name === name)?.[field] ?? 0) - (before.find((f) => f.name === name)?.[field] ?? 0);
      const call = delta('request_booking', 'total');
      const windows = delta('provider_windows', 'total');
      const known = {
        provider_windows: windows,
        'the rest of the rules (check_listing_bookable, check_booking_start)':
          delta('check_listing_bookable', 'total') + delta('check_booking_start', 'total') - windows,
        record_booking_event: delta('record_booking_event', 'total'),
        'expire_booking_requests (only when a request of the provider is stale)': delta('expire_booking_requests', 'total'),
        'its own statements (account, listing with provider, settings and base, the expiry probe, the insert)':
          delta('request_booking', 'self'),
      };
      total += call;
      let rest = call;
      for (const [name, ms] of Object.entries(known)) {
        parts[name]! += ms;
        rest -= ms;
      }
      parts['other helpers']! += rest;
    });
  }
  return { total, parts };
}

/** A catalogued error's code (the hint), else the SQLSTATE and message. */
function outcomeOf(error: unknown): string {
  const e = error as { hint?: string; code?: string; message?: string };
  if (e.hint && /^[a-z_]+$/.test(e.hint)) return e.hint;
  return `${e.message ?? String(error)} (${e.code ?? 'no SQLSTATE'})`;
}

export default defineScenario({
  name: 'booking-race',
  description: `P1: ${CONNECTIONS} connections racing for ${CONTESTED_PROVIDERS * SLOTS_PER_PROVIDER} slots through request_booking; its throughput vs a plain INSERT`,
  async run(ctx) {
    // All the run's bench users at once, though only 64 are needed here: generateUsers
    // ANALYZEs the auth tables after each call, and once statistics say they hold a few
    // dozen rows, a connection planning the sign-up path afresh plans it for tiny tables:
    // the next 100k users (my-bookings, search) then took 104 s instead of 12 s.
    const customerIds = (await ctx.users(WORLD.customers)).slice(0, CONNECTIONS);
    const providers = await ensureProviders(ctx.admin, ctx.db.adminUrl, {
      tag: 'Bench race',
      count: CONTESTED_PROVIDERS + CONNECTIONS,
      serialFrom: 60_000_001,
      listingsPerProvider: 1,
      profile: 'uniform',
      listing: { durationMinutes: DURATION_MINUTES, bufferMinutes: BUFFER_MINUTES, minNoticeMinutes: 60, priceMinor: PRICE_MINOR },
      markets: ['gh'],
      log: ctx.log,
    });
    const places = await ctx.admin<{ provider: string; listing: string; lat: number; lng: number }[]>`
      select l.provider_id as provider, l.id as listing, pl.lat + 0.01 as lat, pl.lng
      from public.service_listings as l
      join public.provider_locations as pl on pl.provider_id = l.provider_id
      where l.provider_id = any(${providers}::uuid[])`;
    const place = new Map(places.map((p) => [p.provider, p]));
    const claims = (await claimsFor(ctx.admin, customerIds)) as (Claims & { sub: string })[];
    const lane = (customer: number, provider: string): Lane => ({
      customer: claims[customer]!,
      provider,
      listing: place.get(provider)!.listing,
      lat: place.get(provider)!.lat,
      lng: place.get(provider)!.lng,
    });
    const random = seededRandom(1_000_001);
    const results: Result[] = [];
    const pool = await apiPool(ctx, CONNECTIONS);
    try {
      // --- The race ---------------------------------------------------------------
      const contested = providers.slice(0, CONTESTED_PROVIDERS);
      const slots = contested.flatMap((provider, p) =>
        Array.from({ length: SLOTS_PER_PROVIDER }, (_, s) => ({
          key: `${p}-${s}`,
          provider,
          startsAt: dayAt(2, s * SLOT_MINUTES),
        })));
      const outcomes = new Map<string, number>();
      const won: { slot: string; booking: BookingRow }[] = [];
      let firstUnexpected: (Error & { detail?: string }) | undefined;
      ctx.log(`  race: ${CONNECTIONS} connections × ${slots.length} slots, each connection in its own random order`);
      const raceStarted = performance.now();
      await Promise.all(
        claims.map(async (_, c) => {
          for (const slot of shuffled(slots, random)) {
            try {
              const booking = await pool.runner.asUser(claims[c]!, RPC_REQUEST, (tx) =>
                requestBooking(tx, lane(c, slot.provider), slot.startsAt, `race-${c}-${slot.key}-${randomUUID()}`));
              won.push({ slot: slot.key, booking });
              outcomes.set('booked', (outcomes.get('booked') ?? 0) + 1);
            } catch (error) {
              const outcome = outcomeOf(error);
              if (outcome !== 'slot_unavailable' && !firstUnexpected) firstUnexpected = error as Error & { detail?: string };
              outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            }
          }
        }),
      );
      const raceSeconds = (performance.now() - raceStarted) / 1000;
      const [check] = (await ctx.admin`
        with holding as (
          select b.id, b.provider_id, b.starts_at, b.occupied from public.bookings as b
          where b.provider_id = any(${contested}::uuid[]) and b.status in ('requested', 'accepted', 'in_progress')
        )
        select (select count(*)::int from holding as a join holding as b
                  on a.provider_id = b.provider_id and a.id < b.id and a.occupied && b.occupied) as overlaps,
               (select count(*)::int from holding) as holding,
               (select count(*)::int from (select provider_id, starts_at from holding group by 1, 2 having count(*) = 1) as once)
                 as slots_once`) as unknown as [{ overlaps: number; holding: number; slots_once: number }];
      const perSlot = new Map<string, number>();
      for (const w of won) perSlot.set(w.slot, (perSlot.get(w.slot) ?? 0) + 1);
      const answersAgree = slots.every((s) => perSlot.get(s.key) === 1);
      const refused = outcomes.get('slot_unavailable') ?? 0;
      const other = [...outcomes].filter(([k]) => k !== 'booked' && k !== 'slot_unavailable');
      const calls = CONNECTIONS * slots.length;
      const pass = check.overlaps === 0 && check.holding === slots.length && check.slots_once === slots.length
        && won.length === slots.length && answersAgree;
      const otherCount = other.reduce((n, [, k]) => n + k, 0);
      ctx.log(`    ${calls} calls in ${raceSeconds.toFixed(1)} s: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
      results.push({
        metric: `double bookings: ${CONNECTIONS} connections × ${slots.length} contested slots (${calls.toLocaleString('en')} calls, ${raceSeconds.toFixed(1)} s)`,
        measured: `${check.overlaps} overlapping · ${check.slots_once}/${slots.length} slots held once · ${won.length} calls booked`,
        target: '0 overlaps, each slot booked once',
        ratio: null,
        pass,
      });
      // The losers' answer: tests/services/concurrency.test.ts expects slot_unavailable
      // (HTTP 409) for every one; anything else reaches the app as a server error.
      results.push({
        metric: `  the ${(calls - slots.length).toLocaleString('en')} losing calls' answers`,
        measured: [`${refused.toLocaleString('en')} slot_unavailable`, ...other.map(([k, n]) => `${n} ${k}`)].join(' · '),
        target: 'all slot_unavailable',
        ratio: null,
        pass: otherCount === 0 && refused === calls - slots.length,
      });
      if (firstUnexpected) ctx.log(`    first unexpected error: ${firstUnexpected.message} — ${firstUnexpected.detail ?? ''}`);

      // --- Throughput on uncontested slots ------------------------------------------
      const lanes = claims.map((_, c) => lane(c, providers[CONTESTED_PROVIDERS + c]!));
      const next = { rpc: 0, insert: 0 };
      const phase = async (kind: 'rpc' | 'insert', calls: number): Promise<{ seconds: number; ok: number }> => {
        const from = next[kind];
        next[kind] += calls;
        const started = performance.now();
        let ok = 0;
        await Promise.all(
          lanes.map(async (l, c) => {
            for (let j = from; j < from + calls; j++) {
              // Each lane books its own provider's slots one after another: no contention.
              const startsAt = dayAt(kind === 'rpc' ? 4 : 40, j * SLOT_MINUTES);
              const key = `tput-${kind}-${c}-${j}`;
              if (kind === 'rpc') {
                await pool.runner.asUser(l.customer, RPC_REQUEST, (tx) => requestBooking(tx, l, startsAt, key));
              } else {
                await pool.runner.asServiceRole(INSERT_REQUEST, (tx) => insertBooking(tx, l, startsAt, key));
              }
              ok++;
            }
          }),
        );
        return { seconds: (performance.now() - started) / 1000, ok };
      };
      await phase('rpc', WARM_CALLS);
      await phase('insert', WARM_CALLS);
      const totals = { rpc: { seconds: 0, ok: 0 }, insert: { seconds: 0, ok: 0 } };
      for (let round = 0; round < ROUNDS; round++) {
        const order: ('rpc' | 'insert')[] = round % 2 === 0 ? ['rpc', 'insert'] : ['insert', 'rpc'];
        for (const kind of order) {
          const r = await phase(kind, CALLS_PER_ROUND);
          totals[kind].seconds += r.seconds;
          totals[kind].ok += r.ok;
        }
      }
      const rate = (kind: 'rpc' | 'insert') => totals[kind].ok / totals[kind].seconds;
      const [sanity] = (await ctx.admin`
        select count(*)::int as made,
               (select count(*)::int from public.bookings as a join public.bookings as b
                  on a.provider_id = b.provider_id and a.id < b.id and a.occupied && b.occupied
                where a.provider_id = any(${providers}::uuid[]) and b.provider_id = any(${providers}::uuid[])
                  and a.status in ('requested', 'accepted', 'in_progress') and b.status in ('requested', 'accepted', 'in_progress'))
                 as overlaps
        from public.bookings where idempotency_key like 'tput-%'`) as unknown as [{ made: number; overlaps: number }];
      const expected = CONNECTIONS * (2 * WARM_CALLS + 2 * ROUNDS * CALLS_PER_ROUND);
      if (sanity.made !== expected || sanity.overlaps !== 0) {
        throw new Error(`throughput run left ${sanity.made} bookings (expected ${expected}) and ${sanity.overlaps} overlaps`);
      }
      ctx.log(`    request_booking ${Math.round(rate('rpc'))}/s (${totals.rpc.ok} in ${totals.rpc.seconds.toFixed(1)} s) · INSERT ${Math.round(rate('insert'))}/s (${totals.insert.ok} in ${totals.insert.seconds.toFixed(1)} s)`);
      results.push({
        metric: `booking throughput, uncontested, ${CONNECTIONS} connections (${totals.rpc.ok.toLocaleString('en')} calls each way)`,
        measured: `request_booking ${Math.round(rate('rpc')).toLocaleString('en')}/s · INSERT ${Math.round(rate('insert')).toLocaleString('en')}/s`,
        target: `≥ ${MIN_RATIO.toFixed(2)}× INSERT`,
        ratio: rate('rpc') / rate('insert'),
        pass: rate('rpc') / rate('insert') >= MIN_RATIO,
      });

      // --- Where the difference comes from (information) ------------------------------
      // One connection, one call at a time: the statement's own latency each way.
      const solo = lanes[1]!;
      const sequential = await measureInterleaved(
        {
          request_booking: (i) => pool.runner.asUser(solo.customer, RPC_REQUEST, (tx) =>
            timed(() => requestBooking(tx, solo, dayAt(50, i * SLOT_MINUTES), `solo-rpc-${i}`))),
          insert: (i) => pool.runner.asServiceRole(INSERT_REQUEST, (tx) =>
            timed(() => insertBooking(tx, solo, dayAt(72, i * SLOT_MINUTES), `solo-insert-${i}`))),
        },
        SEQUENTIAL,
      );
      results.push({
        metric: `  one connection, one call at a time: the statement (p50 / p95, n=${SEQUENTIAL.iterations})`,
        measured: `request_booking ${formatMs(sequential.request_booking.p50)} / ${formatMs(sequential.request_booking.p95)} · `
          + `INSERT ${formatMs(sequential.insert.p50)} / ${formatMs(sequential.insert.p95)}`,
        target: 'information',
        ratio: sequential.request_booking.p50 / sequential.insert.p50,
        pass: true,
      });
      const split = await profileRequestBooking(ctx.admin, lanes[2]!, PROFILED);
      const share = (ms: number) => `${Math.round((100 * ms) / split.total)} %`;
      ctx.log(`    request_booking server time ${formatMs(split.total / PROFILED)} a call: ${Object.entries(split.parts).map(([k, v]) => `${k} ${share(v)}`).join(', ')}`);
      results.push({
        metric: `  where request_booking's time goes (${PROFILED} calls, track_functions)`,
        measured: Object.entries(split.parts).map(([k, v]) => `${k} ${share(v)}`).join(' · '),
        target: 'information',
        ratio: null,
        pass: true,
      });
    } finally {
      await pool.end();
    }
    return results;
  },
});

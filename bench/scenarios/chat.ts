// P5: chat at scale.
//
// 1. History: a participant pages back through a thread 50 messages at a time
//    (public.list_messages as that user: membership checked once, then one backward
//    range scan; one PostgREST request) on a table of 5M messages
//    spread over 5,000 threads and interleaved in time, so a page's rows lie on many
//    heap pages as they do in production. Target: p95 ≤ 5 ms for the whole request.
// 2. Sending: public.send_message as a participant — the caller, membership and
//    pair-block checks, the thread lock, the insert with its foreign-key checks, the
//    Realtime broadcast (realtime.send into realtime.messages), and the unread
//    bookkeeping: both sides' read state and unread counts on the thread row, which
//    the inbox and the badge are read from — against a plain INSERT of the same row
//    into the same table by the same signed-in user (each as the statement PostgREST
//    sends for it, JSON in and out, as `authenticated`): the table's own constraints
//    checked (its two foreign keys; it has no insert trigger) and the least policy that
//    lets a user insert at all (sender_id = auth.uid()), plus the table's select policy
//    on the row it returns, as for any insert with return=representation. The app cannot
//    insert into chat_messages; for the baseline the bench grants INSERT with that
//    policy and takes both away afterwards. Same user, same role, same request
//    overhead: the ratio is what the broadcast and the bookkeeping add. Target: ≤ 1.5×
//    at p95, measured in threads the recipient muted, so exactly the broadcast and the
//    unread bookkeeping are on top of the insert. The same insert with the
//    service_role key (no policy, and the lighter service_role request) is reported
//    beside it, as information.
//    A third variant sends into threads nobody muted, where each message also
//    notifies the recipient (private.notify: the collapsed notification, its counter,
//    its broadcast on user:<id>, the push queue for their device): reported beside
//    it, as information.
//
// Data generation is not under test: messages are written with INSERT … SELECT
// generate_series with triggers off (session_replication_role = replica, as
// export.ts does) and the secondary indexes built afterwards from their catalog
// definitions; then threads and read positions are made consistent with them, and
// the table is vacuumed so the measured reads set no hint bits. About 35 s on 2 cores.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { Claims, Tx } from '../lib/request.ts';
import { defineScenario, latencyResult, ratioResult, type Result } from '../lib/scenario.ts';
import { formatMs, measureInterleaved, type Stats } from '../lib/timing.ts';
import { claimsFor, pickRandom, seededRandom } from '../lib/users.ts';

const MESSAGES = Number(process.env.BENCH_CHAT_MESSAGES ?? 5_000_000);
const THREADS = 5_000;
const PROVIDERS = 500;
const BATCH = 500_000;
/** Threads whose participants make the measured requests: half muted, half not. */
const SAMPLED_THREADS = 400;
const HISTORY = { warmup: 300, iterations: 3_000 };
const SEND = { warmup: 200, iterations: 2_000 };
const MAX_HISTORY_MS = 5;
const MAX_SEND_RATIO = 1.5;
/** Client ids of the baseline's rows start with this, so the counter check can leave them out. */
const BASELINE_PREFIX = 'ffffffff';

function baselineClientId(): string {
  return BASELINE_PREFIX + randomUUID().slice(8);
}

interface SampledThread {
  id: string;
  customer: Claims & { sub: string };
  provider: Claims & { sub: string };
  muted: boolean;
}

/** Providers, and one 'provider' thread per customer (10 customers per provider). */
async function createThreads(admin: postgres.Sql, users: string[]): Promise<void> {
  const providers = users.slice(0, PROVIDERS);
  const customers = users.slice(PROVIDERS, PROVIDERS + THREADS);
  await admin.begin(async (tx) => {
    await tx`
      insert into public.user_roles (user_id, role)
      select id, 'provider' from unnest(${providers}::uuid[]) as id
      on conflict do nothing`;
    await tx`
      insert into public.providers (id, market_code, business_name, time_zone)
      select p.id, p.market_code, 'Bench provider ' || left(p.id::text, 8), 'Africa/Accra'
      from public.profiles as p where p.id = any(${providers}::uuid[])`;
    await tx`
      insert into public.chat_threads (subject_type, customer_id, provider_id, activity_at, created_at)
      select 'provider', c.id, (${providers}::uuid[])[1 + (c.n - 1) % ${PROVIDERS}], now() - interval '30 days', now() - interval '30 days'
      from unnest(${customers}::uuid[]) with ordinality as c (id, n)`;
  });
}

/**
 * MESSAGES messages, round-robin over the threads (message g goes to thread g mod
 * THREADS, so consecutive rows belong to different threads, as in real traffic), a
 * third from the provider. Client ids increase with g, like the time-ordered ids apps
 * generate.
 */
async function generateMessages(admin: postgres.Sql, log: (line: string) => void): Promise<void> {
  const [{ have }] = (await admin`select count(*)::int as have from public.chat_messages`) as unknown as [{ have: number }];
  if (have >= MESSAGES) return;
  // Loading into an empty table: drop the secondary indexes (as their definitions
  // stand in the catalog) and build them once at the end, which is far quicker than
  // maintaining them row by row.
  const rebuild = have === 0 ? await dropSecondaryIndexes(admin) : [];
  let started = performance.now();
  for (let from = have + 1; from <= MESSAGES; from += BATCH) {
    const to = Math.min(MESSAGES, from + BATCH - 1);
    await admin.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        with threads as (
          select t.id, t.customer_id, t.provider_id, (row_number() over (order by t.id) - 1)::int as n
          from public.chat_threads as t
        )
        insert into public.chat_messages (thread_id, sender_id, client_id, kind, body, created_at)
        select t.id,
               case when g % 3 = 0 then t.provider_id else t.customer_id end,
               ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
               'text',
               'Bench message ' || g || ': is Saturday morning still possible for the repair?',
               now() - interval '30 days' + g * interval '500 milliseconds'
        from generate_series(${from}::int, ${to}::int) as g
        join threads as t on t.n = g % ${THREADS}
        order by g`;
    });
    log(`  messages ${to.toLocaleString('en')}/${MESSAGES.toLocaleString('en')}`);
  }
  log(`  inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  for (const statement of rebuild) await admin.unsafe(statement);
  log(`  indexes rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  // Threads point at their newest message; both sides have read everything so far.
  await admin`
    update public.chat_threads as t
    set last_message_id = m.id, activity_at = m.created_at,
        customer_last_read_message_id = m.id, customer_last_read_at = now(), customer_unread = 0,
        provider_last_read_message_id = m.id, provider_last_read_at = now(), provider_unread = 0
    from public.chat_threads as s
    cross join lateral (select id, created_at from public.chat_messages where thread_id = s.id order by id desc limit 1) as m
    where t.id = s.id`;
  // Sets hint bits and the visibility map, so the measured reads do not write.
  await admin`vacuum (analyze) public.chat_messages`;
  await admin`vacuum (analyze) public.chat_threads`;
  await admin`vacuum (analyze) public.chat_participants`;
  await admin`checkpoint`;
  log(`  threads, read positions and vacuum in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Drops chat_messages' indexes other than the primary key; returns the statements that rebuild them. */
async function dropSecondaryIndexes(admin: postgres.Sql): Promise<string[]> {
  const constraints = await admin<{ name: string; definition: string }[]>`
    select conname as name, pg_get_constraintdef(oid) as definition
    from pg_constraint
    where conrelid = 'public.chat_messages'::regclass and contype = 'u'`;
  const indexes = await admin<{ name: string; definition: string }[]>`
    select i.relname as name, pg_get_indexdef(i.oid) as definition
    from pg_index as x join pg_class as i on i.oid = x.indexrelid
    where x.indrelid = 'public.chat_messages'::regclass and not x.indisprimary
      and not exists (select from pg_constraint as c where c.conindid = i.oid)`;
  for (const c of constraints) await admin.unsafe(`alter table public.chat_messages drop constraint ${c.name}`);
  for (const i of indexes) await admin.unsafe(`drop index public.${i.name}`);
  return [
    ...indexes.map((i) => i.definition),
    ...constraints.map((c) => `alter table public.chat_messages add constraint ${c.name} ${c.definition}`),
  ];
}

async function sampleThreads(admin: postgres.Sql, random: () => number): Promise<SampledThread[]> {
  const rows = await admin<{ id: string; customer_id: string; provider_id: string }[]>`
    select id, customer_id, provider_id from public.chat_threads order by id`;
  const picked = pickRandom(rows, SAMPLED_THREADS, random);
  const users = [...new Set(picked.flatMap((t) => [t.customer_id, t.provider_id]))];
  const claims = await claimsFor(admin, users);
  const byId = new Map(users.map((id, i) => [id, claims[i]! as Claims & { sub: string }]));
  const threads = picked.map((t, i) => ({ id: t.id, customer: byId.get(t.customer_id)!, provider: byId.get(t.provider_id)!, muted: i % 2 === 0 }));
  // Half the threads are muted by both sides; every sampled user has a device, as app users do.
  await admin`
    update public.chat_threads set customer_muted = true, provider_muted = true
    where id = any(${threads.filter((t) => t.muted).map((t) => t.id)}::uuid[])`;
  await admin`
    insert into public.device_tokens (user_id, token, platform)
    select u, 'bench-token-' || replace(u::text, '-', '') || repeat('x', 40), 'android'
    from unnest(${users}::uuid[]) as u
    on conflict do nothing`;
  return threads;
}

function timedStatement<T>(fn: () => Promise<T>): Promise<{ ms: number }> {
  const started = process.hrtime.bigint();
  return fn().then(() => ({ ms: Number(process.hrtime.bigint() - started) / 1e6 }));
}

export default defineScenario({
  name: 'chat',
  description: `P5: 50-message history page on ${MESSAGES.toLocaleString('en')} messages; send_message vs a plain insert`,
  async run(ctx) {
    const users = await ctx.users(PROVIDERS + THREADS);
    const [{ threads }] = (await ctx.admin`select count(*)::int as threads from public.chat_threads`) as unknown as [{ threads: number }];
    if (threads < THREADS) {
      ctx.log(`  ${PROVIDERS} providers, ${THREADS} threads`);
      await createThreads(ctx.admin, users);
    }
    await generateMessages(ctx.admin, ctx.log);

    const random = seededRandom(20261121);
    const sampled = await sampleThreads(ctx.admin, random);
    const [{ low, high }] = (await ctx.admin`
      select min(id)::text as low, max(id)::text as high from public.chat_messages`) as unknown as [{ low: string; high: string }];
    const lowId = Number(low);
    const highId = Number(high);
    const results: Result[] = [];

    // --- History ----------------------------------------------------------------
    const reader = await ctx.api();
    const total = HISTORY.warmup + HISTORY.iterations;
    // Half the requests open a thread (newest page), half scroll back from a random point.
    const pages = Array.from({ length: total }, () => {
      const thread = sampled[Math.floor(random() * sampled.length)]!;
      const before = random() < 0.5 ? null : String(lowId + 50 * THREADS + Math.floor(random() * (highId - lowId - 50 * THREADS)));
      return { thread, before, reader: random() < 0.5 ? thread.customer : thread.provider };
    });
    const page = (i: number) =>
      reader.asUser(pages[i]!.reader, { method: 'POST', path: '/rpc/list_messages' }, (tx) => tx`
        select * from public.list_messages(${pages[i]!.thread.id}, ${pages[i]!.before}::bigint, 50)`);
    const probe = await page(0);
    if (probe.length !== 50) throw new Error(`a history page returned ${probe.length} messages, not 50`);
    const stranger = sampled.find((t) => t.customer.sub !== pages[0]!.reader.sub && t.provider.sub !== pages[0]!.reader.sub)!;
    const refused = await reader
      .asUser(stranger.customer, { method: 'POST', path: '/rpc/list_messages' }, (tx) => tx`select * from public.list_messages(${pages[0]!.thread.id})`)
      .then(() => false, (error: { hint?: string }) => error.hint === 'chat_thread_not_found');
    if (!refused) throw new Error("RLS is not in effect: a stranger read a thread's history");

    ctx.log(`  history: ${HISTORY.warmup} warm-up + ${HISTORY.iterations} pages, timed as whole requests and as the statement alone`);
    const history = await measureInterleaved(
      {
        request: page,
        statement: (i) =>
          reader.asUser(pages[i]!.reader, { method: 'POST', path: '/rpc/list_messages' }, (tx) =>
            timedStatement(() => tx`select * from public.list_messages(${pages[i]!.thread.id}, ${pages[i]!.before}::bigint, 50)`)),
      },
      HISTORY,
    );
    for (const [name, stats] of Object.entries(history)) {
      ctx.log(`    ${name}: p50 ${formatMs(stats.p50)} · p95 ${formatMs(stats.p95)} · p99 ${formatMs(stats.p99)} · max ${formatMs(stats.max)}`);
    }
    results.push(
      latencyResult({ metric: `history page of 50, whole request, ${(MESSAGES / 1e6).toFixed(1)}M messages`, stats: history.request, maxMs: MAX_HISTORY_MS }),
      information(latencyResult({ metric: '  of which list_messages itself', stats: history.statement, maxMs: MAX_HISTORY_MS })),
    );

    // --- Sending ----------------------------------------------------------------
    const quiet = sampled.filter((t) => t.muted);
    const loud = sampled.filter((t) => !t.muted);
    const senderMuted = await ctx.api();
    const senderNotifying = await ctx.api();
    const baseline = await ctx.api();
    const serviceBaseline = await ctx.api();
    const pick = (threads: SampledThread[]) => {
      const thread = threads[Math.floor(random() * threads.length)]!;
      return { thread, from: random() < 0.6 ? thread.customer : thread.provider };
    };
    const sends = Array.from({ length: SEND.warmup + SEND.iterations }, () => ({ quiet: pick(quiet), loud: pick(loud) }));
    const body = 'Yes, Saturday at 10 works. I will bring the parts for the sink.';
    const request = { method: 'POST', path: '/rpc/send_message' } as const;
    // The statements PostgREST 12 sends for POST /rpc/send_message and for
    // POST /chat_messages with Prefer: return=representation (JSON body in, JSON
    // body out), written out by hand as profile-rls does for its read.
    const sendQuery = (tx: Tx, s: { thread: SampledThread }) =>
      tx`
        with pgrst_source as (
          select pgrst_call.*
          from public.send_message("thread_id" := ${s.thread.id}::uuid, "client_id" := ${randomUUID()}::uuid, "body" := ${body}::text) as pgrst_call
        )
        select null::bigint as total_result_set, pg_catalog.count(_postgrest_t) as page_total,
               coalesce((json_agg(_postgrest_t) -> 0)::text, 'null') as body,
               nullif(current_setting('response.headers', true), '') as response_headers,
               nullif(current_setting('response.status', true), '') as response_status
        from (select * from pgrst_source) as _postgrest_t`;
    const insertQuery = (tx: Tx, s: { thread: SampledThread; from: Claims & { sub: string } }) =>
      tx`
        with pgrst_source as (
          insert into public.chat_messages (thread_id, sender_id, client_id, body)
          select pgrst_body.thread_id, pgrst_body.sender_id, pgrst_body.client_id, pgrst_body.body
          from json_populate_recordset(null::public.chat_messages, ${JSON.stringify([
            { thread_id: s.thread.id, sender_id: s.from.sub, client_id: baselineClientId(), body },
          ])}::text::json) as pgrst_body
          returning public.chat_messages.*
        )
        select '' as total_result_set, pg_catalog.count(_postgrest_t) as page_total, array[]::text[] as header,
               coalesce(json_agg(_postgrest_t), '[]')::text as body,
               nullif(current_setting('response.headers', true), '') as response_headers,
               nullif(current_setting('response.status', true), '') as response_status
        from (select * from pgrst_source) as _postgrest_t`;
    const variants = (time: boolean) => {
      const run = (fn: () => Promise<unknown>): Promise<unknown> => (time ? timedStatement(fn) : fn());
      return {
        send_message: (i: number) => senderMuted.asUser(sends[i]!.quiet.from, request, (tx) => run(() => sendQuery(tx, sends[i]!.quiet))),
        plain_insert: (i: number) =>
          baseline.asUser(sends[i]!.quiet.from, { method: 'POST', path: '/chat_messages' }, (tx) => run(() => insertQuery(tx, sends[i]!.quiet))),
        service_insert: (i: number) =>
          serviceBaseline.asServiceRole({ method: 'POST', path: '/chat_messages' }, (tx) => run(() => insertQuery(tx, sends[i]!.quiet))),
        with_notification: (i: number) => senderNotifying.asUser(sends[i]!.loud.from, request, (tx) => run(() => sendQuery(tx, sends[i]!.loud))),
      };
    };

    // The baseline's insert as the signed-in sender: granted for the measurement only.
    await ctx.admin`grant insert on table public.chat_messages to authenticated`;
    await ctx.admin`
      create policy bench_plain_insert on public.chat_messages
      for insert to authenticated with check (sender_id = (select auth.uid()))`;
    let requests: Record<keyof SendVariants, Stats>;
    let statements: Record<keyof SendVariants, Stats>;
    try {
      // Each variant must do what it claims before its speed means anything.
      await checkVariants(ctx.admin, variants(false), sends[0]!);

      ctx.log(`  send: ${SEND.warmup} warm-up + ${SEND.iterations} messages per variant, whole requests, then statements alone`);
      requests = await measureInterleaved(variants(false), SEND);
      statements = await measureInterleaved(variants(true), SEND);
    } finally {
      await ctx.admin`drop policy bench_plain_insert on public.chat_messages`;
      await ctx.admin`revoke insert on table public.chat_messages from authenticated`;
    }
    for (const [name, stats] of Object.entries({ ...requests, ...prefixed('statement ', statements) })) {
      ctx.log(`    ${name}: p50 ${formatMs(stats.p50)} · p95 ${formatMs(stats.p95)} · p99 ${formatMs(stats.p99)} · max ${formatMs(stats.max)}`);
    }
    results.push(
      ratioResult({
        metric: 'send_message (broadcast + unread bookkeeping) vs plain insert, whole request',
        candidate: { label: 'send_message', stats: requests.send_message },
        baseline: { label: 'plain insert', stats: requests.plain_insert },
        maxRatio: MAX_SEND_RATIO,
      }),
      information(ratioResult({
        metric: '  the same at the median',
        candidate: { label: 'send_message', stats: requests.send_message },
        baseline: { label: 'plain insert', stats: requests.plain_insert },
        maxRatio: MAX_SEND_RATIO,
        percentile: 'p50',
      })),
      information(ratioResult({
        metric: '  main statement only',
        candidate: { label: 'send_message', stats: statements.send_message },
        baseline: { label: 'plain insert', stats: statements.plain_insert },
        maxRatio: MAX_SEND_RATIO,
      })),
      information(ratioResult({
        metric: 'send_message vs the same insert with the service_role key, whole request',
        candidate: { label: 'send_message', stats: requests.send_message },
        baseline: { label: 'service_role insert', stats: requests.service_insert },
        maxRatio: MAX_SEND_RATIO,
      })),
      information(ratioResult({
        metric: 'send_message + notification of the recipient vs plain insert, whole request',
        candidate: { label: 'with notification', stats: requests.with_notification },
        baseline: { label: 'plain insert', stats: requests.plain_insert },
        maxRatio: MAX_SEND_RATIO,
      })),
      information(ratioResult({
        metric: '  main statement only',
        candidate: { label: 'with notification', stats: statements.with_notification },
        baseline: { label: 'plain insert', stats: statements.plain_insert },
        maxRatio: MAX_SEND_RATIO,
      })),
    );
    await verifyCounters(ctx.admin);
    return results;
  },
});

type SendVariants = Record<'send_message' | 'plain_insert' | 'service_insert' | 'with_notification', (i: number) => Promise<unknown>>;

/** One call of each variant, and what it must have left behind. */
async function checkVariants(
  admin: postgres.Sql,
  variants: SendVariants,
  first: { quiet: { thread: SampledThread }; loud: { thread: SampledThread; from: { sub: string } } },
): Promise<void> {
  const count = async (query: Promise<{ n: number }[]>) => Number((await query)[0]!.n);
  const broadcasts = (thread: string) =>
    count(admin<{ n: number }[]>`select count(*)::int as n from realtime.messages where topic = ${`thread:${thread}`} and event = 'message_created'`);
  const messages = (thread: string) => count(admin<{ n: number }[]>`select count(*)::int as n from public.chat_messages where thread_id = ${thread}`);
  const notified = () => count(admin<{ n: number }[]>`select count(*)::int as n from public.notifications where template_key = 'chat.message'`);

  const quiet = first.quiet.thread.id;
  let before = [await messages(quiet), await broadcasts(quiet), await notified()];
  await variants.send_message(0);
  let after = [await messages(quiet), await broadcasts(quiet), await notified()];
  if (after[0] !== before[0]! + 1 || after[1] !== before[1]! + 1 || after[2] !== before[2]) {
    throw new Error('send_message in a muted thread must store and broadcast one message and notify no one');
  }
  for (const plain of [variants.plain_insert, variants.service_insert]) {
    before = after;
    await plain(0);
    after = [await messages(quiet), await broadcasts(quiet), await notified()];
    if (after[0] !== before[0]! + 1 || after[1] !== before[1] || after[2] !== before[2]) {
      throw new Error('a plain insert must store one message and broadcast and notify nothing');
    }
  }
  const loud = first.loud.thread.id;
  await variants.with_notification(0);
  const [row] = await admin<{ n: number }[]>`
    select count(*)::int as n from public.notifications
    where collapse_key = ${`thread:${loud}`} and read_at is null`;
  if (Number(row?.n) !== 1) throw new Error('send_message in an unmuted thread must notify the recipient');
}

function prefixed(prefix: string, stats: Record<string, Stats>): Record<string, Stats> {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [prefix + k, v]));
}

function information(result: Result): Result {
  return { ...result, target: `information (${result.target})`, pass: true };
}

/** After thousands of sends, every counter must still be exact (the baseline's rows, which bypass the bookkeeping, left out). */
async function verifyCounters(admin: postgres.Sql): Promise<void> {
  const [row] = await admin<{ wrong: number }[]>`
    select count(*)::int as wrong
    from public.chat_participants as p
    where p.unread_count <> (
      select count(*) from public.chat_messages as m
      where m.thread_id = p.thread_id and m.id > coalesce(p.last_read_message_id, 0)
        and m.sender_id is distinct from p.user_id and m.deleted_at is null
        and m.client_id::text not like ${BASELINE_PREFIX + '%'})`;
  if (row!.wrong !== 0) throw new Error(`${row!.wrong} participant unread counters are wrong after the send bench`);
}


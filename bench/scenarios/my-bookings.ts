// P3: "my bookings" with a million bookings in the table.
//
// The app reads one side of it as a plain table request (the bookings migration's
// indexes show the request and its next-page filter):
//   GET /bookings?customer_id=eq.<me>&order=starts_at.desc,id.desc&limit=20
// (provider_id=eq.<me> for a provider's side). PostgREST runs it as a READ ONLY
// transaction as `authenticated`, RLS on; the baseline is the same request with the
// service_role key, RLS bypassed. Target: p95 ≤ 5 ms; authenticated ≤ 1.2× service_role.
//
// The merged list (public.my_bookings: both sides for someone who books and provides,
// keyset-paged, `GET /rpc/my_bookings`) is measured beside them as information: it is
// granted to `authenticated` only (it is about auth.uid()), so it has no service_role
// twin, and the PL/pgSQL call costs it more than RLS costs the table read.
// Three variants, each on its own connection, in rotating order, for the same random
// user each iteration: 75 % customers, 25 % providers.
//
// Data (bench/lib/services.ts, made once per run and shared with search and
// review-insert): 100k providers with 500k listings; 1,000,000 bookings by the run's
// 100k bench users (about 10 each, random customers and listings, in random order, so
// a user's bookings lie on different heap pages): 95 % in the past two years
// (completed, cancelled, declined, expired), 5 % ahead (requested, accepted).
// INSERT … SELECT generate_series in replica mode (foreign keys skipped), secondary
// indexes rebuilt from their own definitions afterwards, then VACUUM ANALYZE.
import type { Claims, Tx } from '../lib/request.ts';
import { defineScenario, latencyResult, ratioResult, type Result } from '../lib/scenario.ts';
import { ensureWorld } from '../lib/services.ts';
import { formatMs, measureInterleaved, summarize, type Stats } from '../lib/timing.ts';
import { claimsFor, pickRandom, seededRandom } from '../lib/users.ts';

const SAMPLED_CUSTOMERS = 750;
const SAMPLED_PROVIDERS = 250;
const WARMUP = 500;
const ITERATIONS = 5_000;
const MAX_MS = 5;
const MAX_RATIO = 1.2;
const PAGE = 20;

type Side = 'customer' | 'provider';

interface Reader {
  id: string;
  side: Side;
  claims: Claims;
}

interface Row {
  id: string;
  starts_at: string;
}

/** The body PostgREST builds around a read (json_agg of the rows, page count, headers). */
function wrap(source: string): string {
  return `
    with pgrst_source as (${source})
    select null::bigint as total_result_set,
           pg_catalog.count(_postgrest_t) as page_total,
           coalesce(json_agg(_postgrest_t), '[]') as body,
           nullif(current_setting('response.headers', true), '') as response_headers,
           nullif(current_setting('response.status', true), '') as response_status
    from (select * from pgrst_source) as _postgrest_t`;
}

/** GET /rpc/my_bookings[?as_role=provider], as PostgREST 12 calls a function with query-string arguments. */
const RPC = wrap(`
  select pgrst_call.*
  from json_to_record($1::json) as pgrst_body (as_role text),
       lateral "public"."my_bookings"("as_role" := pgrst_body.as_role) as pgrst_call`);

/** GET /bookings?<side>_id=eq.<id>&order=starts_at.desc,id.desc&limit=20. */
const TABLE = {
  customer: wrap(`
    select "public"."bookings".* from "public"."bookings"
    where "public"."bookings"."customer_id" = $1::uuid
    order by "public"."bookings"."starts_at" desc, "public"."bookings"."id" desc
    limit $2 offset $3`),
  provider: wrap(`
    select "public"."bookings".* from "public"."bookings"
    where "public"."bookings"."provider_id" = $1::uuid
    order by "public"."bookings"."starts_at" desc, "public"."bookings"."id" desc
    limit $2 offset $3`),
};

async function rpc(tx: Tx, reader: Reader): Promise<Row[]> {
  const args = reader.side === 'provider' ? { as_role: 'provider' } : {};
  // The query-string arguments as one JSON parameter (postgres.js serializes it for json).
  const [row] = await tx.unsafe(RPC, [args as never], { prepare: true });
  return (row as unknown as { body: Row[] }).body;
}

async function table(tx: Tx, reader: Reader): Promise<Row[]> {
  const [row] = await tx.unsafe(TABLE[reader.side], [reader.id, PAGE, 0], { prepare: true });
  return (row as unknown as { body: Row[] }).body;
}

/** Times only the main statement, inside the request's transaction. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number }> {
  const started = process.hrtime.bigint();
  await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function information(result: Result): Result {
  return { ...result, target: `information (${result.target})`, pass: true };
}

export default defineScenario({
  name: 'my-bookings',
  description: 'P3: my bookings (20 a page) with 1M bookings: GET /bookings as authenticated vs service_role; the merged my_bookings beside it',
  async run(ctx) {
    const world = await ensureWorld(ctx);
    const random = seededRandom(3_000_001);
    const customers = pickRandom(world.customers, SAMPLED_CUSTOMERS, random);
    const providers = pickRandom(world.providers, SAMPLED_PROVIDERS, random);
    ctx.log(`  issuing ${customers.length + providers.length} access tokens through custom_access_token_hook`);
    const tokens = await claimsFor(ctx.admin, [...customers, ...providers]);
    const readers: Reader[] = [
      ...customers.map((id, i) => ({ id, side: 'customer' as const, claims: tokens[i]! })),
      ...providers.map((id, i) => ({ id, side: 'provider' as const, claims: tokens[customers.length + i]! })),
    ];
    const order = Array.from({ length: WARMUP + ITERATIONS }, () =>
      random() < 0.75 ? Math.floor(random() * customers.length) : customers.length + Math.floor(random() * providers.length));
    const reader = (i: number) => readers[order[i]!]!;

    const appConnection = await ctx.api();
    const tableConnection = await ctx.api();
    const serviceConnection = await ctx.api();
    const request = (side: Side, path: 'rpc' | 'table') =>
      ({ method: 'GET', path: path === 'rpc' ? '/rpc/my_bookings' : '/bookings' }) as const;

    // The three must return the same page before their speed is compared; RLS must hold.
    const [{ rows: total }] = (await ctx.admin`select count(*)::int as rows from public.bookings`) as unknown as [{ rows: number }];
    for (const probe of [readers[0]!, readers[customers.length]!]) {
      const viaRpc = await appConnection.asUser(probe.claims, request(probe.side, 'rpc'), (tx) => rpc(tx, probe));
      const viaTable = await tableConnection.asUser(probe.claims, request(probe.side, 'table'), (tx) => table(tx, probe));
      const viaService = await serviceConnection.asServiceRole(request(probe.side, 'table'), (tx) => table(tx, probe));
      const ids = (rows: Row[]) => JSON.stringify(rows.map((r) => r.id).sort());
      if (viaRpc.length === 0 || ids(viaRpc) !== ids(viaService) || ids(viaTable) !== ids(viaService)) {
        throw new Error(`my_bookings, the table as authenticated and as service_role disagree for a ${probe.side}`);
      }
    }
    const stranger = readers.find((r) => r.side === 'customer' && r.id !== readers[0]!.id)!;
    const peek = await tableConnection.asUser(readers[0]!.claims, request('customer', 'table'), (tx) => table(tx, stranger));
    if (peek.length !== 0) throw new Error("RLS is not in effect: a customer read a stranger's bookings");

    ctx.log(`  ${total.toLocaleString('en')} bookings; ${WARMUP} warm-up + ${ITERATIONS} measured requests per variant`);
    // Each sample is the main statement's time; the whole request's time is kept alongside.
    const wall = { app: [] as number[], table: [] as number[], service: [] as number[] };
    const both =
      (name: keyof typeof wall, run: (i: number) => Promise<{ ms: number }>) =>
      async (i: number): Promise<{ ms: number }> => {
        const started = process.hrtime.bigint();
        const result = await run(i);
        if (i >= WARMUP) wall[name].push(Number(process.hrtime.bigint() - started) / 1e6);
        return result;
      };
    const statements = await measureInterleaved(
      {
        app: both('app', (i) =>
          appConnection.asUser(reader(i).claims, request(reader(i).side, 'rpc'), (tx) => timed(() => rpc(tx, reader(i))))),
        table: both('table', (i) =>
          tableConnection.asUser(reader(i).claims, request(reader(i).side, 'table'), (tx) => timed(() => table(tx, reader(i))))),
        service: both('service', (i) =>
          serviceConnection.asServiceRole(request(reader(i).side, 'table'), (tx) => timed(() => table(tx, reader(i))))),
      },
      { iterations: ITERATIONS, warmup: WARMUP },
    );
    const requests: Record<keyof typeof wall, Stats> = {
      app: summarize(wall.app),
      table: summarize(wall.table),
      service: summarize(wall.service),
    };
    for (const [name, stats] of Object.entries(statements)) {
      const whole = requests[name as keyof typeof wall];
      ctx.log(`    ${name}: statement p50 ${formatMs(stats.p50)} p95 ${formatMs(stats.p95)} · request p50 ${formatMs(whole.p50)} p95 ${formatMs(whole.p95)}`);
    }

    const millions = `${(total / 1e6).toFixed(1)}M bookings`;
    return [
      latencyResult({ metric: `GET /bookings?<side>_id=eq.<me> as authenticated, whole request, ${millions}`, stats: requests.table, maxMs: MAX_MS }),
      ratioResult({
        metric: 'GET /bookings?<side>_id=eq.<me>, authenticated (RLS) vs service_role, whole request',
        candidate: { label: 'authenticated', stats: requests.table },
        baseline: { label: 'service_role', stats: requests.service },
        maxRatio: MAX_RATIO,
      }),
      ratioResult({
        metric: '  the same, main statement only',
        candidate: { label: 'authenticated', stats: statements.table },
        baseline: { label: 'service_role', stats: statements.service },
        maxRatio: MAX_RATIO,
      }),
      information(latencyResult({ metric: 'my_bookings (both sides merged) as authenticated, whole request', stats: requests.app, maxMs: MAX_MS })),
      information(ratioResult({
        metric: '  my_bookings vs GET /bookings (service_role), whole request',
        candidate: { label: 'my_bookings', stats: requests.app },
        baseline: { label: 'service_role', stats: requests.service },
        maxRatio: MAX_RATIO,
      })),
    ];
  },
});

// What RLS costs on the hottest read of the app: a signed-in user opening their own
// profile and account (GET /rest/v1/profiles?id=eq.<me>&select=*,accounts(*)).
// The same request with the service_role key (RLS bypassed) is the baseline; both go
// through the same PostgREST-shaped transaction, each on its own connection (see
// BenchContext.api), interleaved in time, for random users out of 100k. A last row
// shares one connection between the two roles, as a PostgREST pool connection serving
// both kinds of request does: every role switch makes Postgres re-plan the cached
// statement (its plan depends on RLS), and that row shows what it costs.
import { defineScenario, ratioResult } from '../lib/scenario.ts';
import type { Claims, Tx } from '../lib/request.ts';
import { measureInterleaved } from '../lib/timing.ts';
import { claimsFor, pickRandom, seededRandom } from '../lib/users.ts';

const USERS = 100_000;
/** Distinct signed-in users whose tokens the requests cycle through. */
const SAMPLED_USERS = 1_000;
const WARMUP = 500;
const ITERATIONS = 5_000;
const MAX_RATIO = 1.2;

const REQUEST = { method: 'GET', path: '/profiles' } as const;

interface ProfileBody {
  id: string;
  accounts: { id: string; phone: string | null; status: string } | null;
}

/**
 * The statement PostgREST 12 generates for the request above (a read plan with a
 * to-one embed, aggregated to a JSON body), written out by hand.
 */
async function readOwnProfile(tx: Tx, id: string): Promise<ProfileBody[]> {
  const [row] = await tx<{ body: ProfileBody[] }[]>`
    with pgrst_source as (
      select "public"."profiles".*, row_to_json("profiles_accounts_1".*)::jsonb as "accounts"
      from "public"."profiles"
      left join lateral (
        select "accounts_1".*
        from "public"."accounts" as "accounts_1"
        where "accounts_1"."id" = "public"."profiles"."id"
      ) as "profiles_accounts_1" on true
      where "public"."profiles"."id" = ${id}::uuid
    )
    select null::bigint as total_result_set,
           pg_catalog.count(_postgrest_t) as page_total,
           coalesce(json_agg(_postgrest_t), '[]') as body,
           nullif(current_setting('response.headers', true), '') as response_headers,
           nullif(current_setting('response.status', true), '') as response_status
    from (select * from pgrst_source) as _postgrest_t`;
  return row!.body;
}

/** Times only the main statement, inside the request's transaction. */
async function timedStatement(tx: Tx, id: string): Promise<{ ms: number; body: ProfileBody[] }> {
  const started = process.hrtime.bigint();
  const body = await readOwnProfile(tx, id);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, body };
}

export default defineScenario({
  name: 'profile-rls',
  description: `own profile + account with RLS as authenticated vs service_role, random users of ${USERS / 1000}k`,
  async run(ctx) {
    const ids = await ctx.users(USERS);
    const random = seededRandom(20261121);
    const sampled = pickRandom(ids, SAMPLED_USERS, random);
    ctx.log(`  issuing ${sampled.length} access tokens through custom_access_token_hook`);
    const tokens: Claims[] = await claimsFor(ctx.admin, sampled);
    // Every iteration reads a random sampled user, the same one for both variants.
    const order = Array.from({ length: WARMUP + ITERATIONS }, () => Math.floor(random() * sampled.length));
    const user = (i: number) => ({ id: sampled[order[i]!]!, claims: tokens[order[i]!]! });

    const asAuthenticated = await ctx.api();
    const asService = await ctx.api();

    // The request must mean the same thing both ways before its speed is compared.
    const probe = user(0);
    const stranger = user(1).id === probe.id ? user(2) : user(1);
    const own = await asAuthenticated.asUser(probe.claims, REQUEST, (tx) => readOwnProfile(tx, probe.id));
    const service = await asService.asServiceRole(REQUEST, (tx) => readOwnProfile(tx, probe.id));
    const other = await asAuthenticated.asUser(probe.claims, REQUEST, (tx) => readOwnProfile(tx, stranger.id));
    if (own.length !== 1 || own[0]!.accounts?.id !== probe.id || JSON.stringify(own) !== JSON.stringify(service)) {
      throw new Error('authenticated and service_role do not read the same own profile + account');
    }
    if (other.length !== 1 || other[0]!.accounts !== null) {
      throw new Error("RLS is not in effect: a user read a stranger's account");
    }

    ctx.log(`  ${WARMUP} warm-up + ${ITERATIONS} measured requests per variant`);
    const requests = await measureInterleaved(
      {
        authenticated: (i) => asAuthenticated.asUser(user(i).claims, REQUEST, (tx) => readOwnProfile(tx, user(i).id)),
        service_role: (i) => asService.asServiceRole(REQUEST, (tx) => readOwnProfile(tx, user(i).id)),
      },
      { iterations: ITERATIONS, warmup: WARMUP },
    );
    const statements = await measureInterleaved(
      {
        authenticated: (i) => asAuthenticated.asUser(user(i).claims, REQUEST, (tx) => timedStatement(tx, user(i).id)),
        service_role: (i) => asService.asServiceRole(REQUEST, (tx) => timedStatement(tx, user(i).id)),
      },
      { iterations: ITERATIONS, warmup: WARMUP },
    );

    const shared = asAuthenticated;
    const alternating = await measureInterleaved(
      {
        authenticated: (i) => shared.asUser(user(i).claims, REQUEST, (tx) => timedStatement(tx, user(i).id)),
        service_role: (i) => shared.asServiceRole(REQUEST, (tx) => timedStatement(tx, user(i).id)),
      },
      { iterations: ITERATIONS, warmup: WARMUP },
    );

    return [
      ratioResult({
        metric: 'whole request (BEGIN…COMMIT)',
        candidate: { label: 'authenticated', stats: requests.authenticated },
        baseline: { label: 'service_role', stats: requests.service_role },
        maxRatio: MAX_RATIO,
      }),
      ratioResult({
        metric: 'main statement only',
        candidate: { label: 'authenticated', stats: statements.authenticated },
        baseline: { label: 'service_role', stats: statements.service_role },
        maxRatio: MAX_RATIO,
      }),
      ratioResult({
        metric: 'main statement, roles alternating on one connection',
        candidate: { label: 'authenticated', stats: alternating.authenticated },
        baseline: { label: 'service_role', stats: alternating.service_role },
        maxRatio: MAX_RATIO,
      }),
    ];
  },
});

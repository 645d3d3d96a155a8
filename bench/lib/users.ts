// Bulk users, created the way Supabase Auth creates a confirmed phone user: an INSERT
// into auth.users as supabase_auth_admin, so the real sign-up trigger
// (private.handle_new_auth_user) gives each one a profile, an account and the
// customer role, with every foreign key and check in place. Nothing is disabled:
// set-based INSERT … SELECT FROM generate_series keeps the per-row trigger cheap
// enough (about 100k users in well under a minute on 2 cores), and a bench that
// skipped the trigger could hide the cost of exactly the rows it measures.
import type postgres from 'postgres';
import { issueClaims } from '../../scripts/db/auth.ts';
import type { Claims } from './request.ts';

type Sql = postgres.Sql;

export interface GenerateUsersOptions {
  /** First serial number: phones and names derive from it, so ranges never collide. */
  from: number;
  count: number;
  /** Rows per INSERT statement (and per transaction). */
  batch?: number;
  /** Markets to spread users over, round-robin; default every active market. */
  markets?: string[];
  log?: (line: string) => void;
}

/**
 * Creates `count` confirmed phone users through auth.users and returns their ids in
 * creation order. Needs a superuser connection (it acts as supabase_auth_admin).
 * Phones are the market's calling code, '5', and the serial number: never a demo
 * number from seed.sql.
 */
export async function generateUsers(sql: Sql, options: GenerateUsersOptions): Promise<string[]> {
  const batch = options.batch ?? 10_000;
  const markets =
    options.markets ?? (await sql<{ code: string }[]>`select code from public.markets where active order by code`).map((m) => m.code);
  if (markets.length === 0) throw new Error('no active market to put users in');
  const ids: string[] = [];
  for (let start = options.from; start < options.from + options.count; start += batch) {
    const end = Math.min(options.from + options.count, start + batch) - 1;
    const rows = await sql.begin(async (tx) => {
      await tx`select set_config('role', 'supabase_auth_admin', true)`;
      return tx<{ id: string }[]>`
        insert into auth.users (
          instance_id, id, aud, role, phone, phone_confirmed_at, confirmation_token, recovery_token,
          email_change_token_new, email_change, raw_app_meta_data, raw_user_meta_data,
          created_at, updated_at, last_sign_in_at, is_sso_user, is_anonymous)
        select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
               m.phone_country_code || '5' || lpad(g::text, 8, '0'), now(), '', '', '', '',
               '{"provider": "phone", "providers": ["phone"]}'::jsonb,
               jsonb_build_object('market', m.code, 'display_name', 'Bench user ' || g),
               now(), now(), now(), false, false
        from generate_series(${start}::int, ${end}::int) as g
        join public.markets as m on m.code = (${markets}::text[])[1 + g % ${markets.length}]
        order by g
        returning id`;
    });
    for (const row of rows) ids.push(row.id);
    options.log?.(`  users ${ids.length}/${options.count}`);
  }
  await sql`analyze auth.users`;
  await sql`analyze public.profiles`;
  await sql`analyze public.accounts`;
  await sql`analyze public.user_roles`;
  return ids;
}

/**
 * Access-token claims for each user, built by scripts/db/auth.ts through the real
 * custom_access_token_hook (as supabase_auth_admin), exactly as tests get them.
 */
export async function claimsFor(sql: Sql, userIds: string[]): Promise<Claims[]> {
  return (await sql.begin(async (tx) => {
    const all: Claims[] = [];
    for (const id of userIds) all.push((await issueClaims(tx, id)) as Claims);
    return all;
  })) as Claims[];
}

/** `count` distinct elements of `items`, uniformly at random (partial Fisher–Yates). */
export function pickRandom<T>(items: readonly T[], count: number, random: () => number = Math.random): T[] {
  const pool = [...items];
  const n = Math.min(count, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** A small seeded PRNG (mulberry32), so a run's random choices can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

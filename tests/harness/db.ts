// Talking to the test database the way Supabase's services do.
//
// - `rollback(fn)`: a test's work in one transaction that is always rolled back, so it
//   leaves nothing behind and sees only its own fixtures.
// - `createUser`: inserts into auth.users as supabase_auth_admin, exactly as GoTrue does
//   on phone sign-up, then builds the user's JWT claims through the real
//   custom_access_token_hook.
// - `asUser` / `asAnon` / `asService`: run queries the way PostgREST runs a request:
//   `set_config('role', …, true)` and `set_config('request.jwt.claims', …, true)` in one
//   transaction, so grants and RLS decide.
import { randomInt, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { issueClaims as issueAuthClaims, type Claims } from '../../scripts/db/auth.ts';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
/** Anything queries can be sent through: the pool or an open transaction. */
export type Queryable = Sql | Tx;

let pool: Sql | undefined;

/** The shared connection pool, as the superuser that plays each Supabase service's role. */
export function db(): Sql {
  pool ??= postgres(inject('databaseUrl'), {
    max: 8,
    onnotice: () => undefined,
    // Keep timestamps and bigints as Postgres text where tests compare exact values.
    types: { bigint: postgres.BigInt },
  });
  return pool;
}

export async function closeDb(): Promise<void> {
  await pool?.end({ timeout: 5 });
  pool = undefined;
}

/** Runs `fn` in a transaction that is rolled back whatever happens. */
export async function rollback<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  const marker = Symbol('rollback');
  let result: T | undefined;
  try {
    await db().begin(async (tx) => {
      result = await fn(tx);
      throw marker;
    });
  } catch (error) {
    if (error !== marker) throw error;
  }
  return result as T;
}

export type AppRole = 'customer' | 'provider' | 'seller' | 'staff' | 'admin';
export type { Claims };

export interface TestUser {
  id: string;
  /** E.164 digits without '+', as GoTrue stores it. */
  phone: string;
  /** The claims PostgREST would find in this user's access token. */
  claims: Claims;
}

/** Country calling codes of the seeded markets, for phone numbers that route to them. */
export const MARKET_PHONE_PREFIX = { gh: '233', uz: '998', eg: '20', bd: '880' } as const;

/** A fresh phone number in a market's country that no other test uses. */
export function randomPhone(prefix: string = MARKET_PHONE_PREFIX.gh): string {
  const digits = 12 - prefix.length;
  let rest = String(randomInt(1, 10));
  while (rest.length < digits) rest += String(randomInt(0, 10));
  return prefix + rest;
}

export interface NewUser {
  phone?: string | null;
  /** raw_user_meta_data, as the app passes it in `signInWithOtp({ options: { data } })`. */
  metadata?: Record<string, unknown>;
  /** Roles beyond the customer role every user gets, granted as an admin would. */
  roles?: AppRole[];
  /** raw_app_meta_data; only the service role can set this in Auth. */
  appMetadata?: Record<string, unknown>;
}

/** Creates a confirmed phone user the way GoTrue does and returns their token claims. */
export async function createUser(q: Queryable, user: NewUser = {}): Promise<TestUser> {
  const id = randomUUID();
  const phone = user.phone === undefined ? randomPhone() : user.phone;
  const appMetadata = { provider: 'phone', providers: ['phone'], ...user.appMetadata };
  await inTransaction(q, async (tx) => {
    await tx`select set_config('role', 'supabase_auth_admin', true)`;
    await tx`
      insert into auth.users (instance_id, id, aud, role, phone, phone_confirmed_at,
                              raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      values ('00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated',
              ${phone}, now(), ${JSON.stringify(appMetadata)}::text::jsonb,
              ${JSON.stringify((user.metadata ?? {}))}::text::jsonb, now(), now())`;
    await tx`reset role`;
    for (const role of user.roles ?? []) {
      await tx`insert into public.user_roles (user_id, role) values (${id}, ${role}) on conflict do nothing`;
    }
  });
  return { id, phone: phone ?? '', claims: await issueClaims(q, id) };
}

/**
 * The claims Supabase Auth would put in a fresh access token for this user (see
 * scripts/db/auth.ts). Call again after roles change, as an app refreshes its session.
 */
export async function issueClaims(q: Queryable, userId: string): Promise<Claims> {
  return inTransaction(q, (tx) => issueAuthClaims(tx, userId));
}

/** Runs `fn` as the signed-in user, the way PostgREST runs their request. */
export function asUser<T>(q: Queryable, user: TestUser | Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const claims = 'claims' in user ? (user as TestUser).claims : (user as Claims);
  return asRole(q, 'authenticated', claims, fn);
}

/** Runs `fn` as an anonymous client holding only the anon key. */
export function asAnon<T>(q: Queryable, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return asRole(q, 'anon', { role: 'anon', iss: 'supabase-demo' }, fn);
}

/** Runs `fn` as the service role (edge functions with the service key, admin tools). */
export function asService<T>(q: Queryable, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return asRole(q, 'service_role', { role: 'service_role', iss: 'supabase-demo' }, fn);
}

async function asRole<T>(q: Queryable, role: string, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction(q, async (tx) => {
    await tx`
      select set_config('role', ${role}, true),
             set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
             set_config('request.method', 'POST', true),
             set_config('request.path', '/rpc', true)`;
    const result = await fn(tx);
    // The transaction may continue (inside `rollback`): drop back to the test's own role.
    await tx`reset role`;
    await tx`select set_config('request.jwt.claims', '', true)`;
    return result;
  });
}

/**
 * A transaction of its own on the pool (committed, like a real request), or a
 * savepoint inside a test's transaction (rolled back with it). A failure rolls the
 * savepoint back, so the test's transaction stays usable after an expected error.
 */
async function inTransaction<T>(q: Queryable, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if ('savepoint' in q) return (q as Tx).savepoint((sp) => fn(sp as unknown as Tx)) as Promise<T>;
  return (q as Sql).begin((tx) => fn(tx)) as Promise<T>;
}

/** Deletes users created outside a rolled-back transaction (cascades to their rows). */
export async function deleteUsers(...users: TestUser[]): Promise<void> {
  if (users.length === 0) return;
  await db()`delete from auth.users where id = any(${users.map((u) => u.id)}::uuid[])`;
}

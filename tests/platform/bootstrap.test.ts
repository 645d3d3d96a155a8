// scripts/db/bootstrap.sql recreates, on a plain Postgres, what a new Supabase project
// starts with. These tests hold it to Supabase's own definitions, so that what passes
// here behaves the same on a hosted project.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asService, asUser, createUser, db, rollback, type Tx } from '../harness/db.ts';

// ---------------------------------------------------------------------------
// Upstream definitions, copied from the newest sources, to compare normalised source text.
// supabase/auth @ bc32168e13fdc928c98b449fc76bc3fdb9a293c5 (2026-08-20):
//   migrations/20220224000811_update_auth_functions.up.sql (uid, role, email),
//   migrations/20220531120530_add_auth_jwt_function.up.sql (jwt, the comments).
//   (20240624145325_recreate_auth_functions, which set search_path = '', only ever
//   lived on a branch: the main line still defines them without a search_path.)
// supabase/realtime @ 833cf36c: lib/realtime/tenants/repo/migrations/20240523004032_redefine_authorization_tables.ex
// supabase/storage @ 4fa61fba: migrations/tenant/0060-optimize-existing-functions-again.sql
// ---------------------------------------------------------------------------
interface UpstreamFunction {
  signature: string;
  owner: string;
  language: string;
  volatility: 'i' | 's' | 'v';
  returns: string;
  body: string;
  comment: string | null;
}

const UPSTREAM: UpstreamFunction[] = [
  {
    signature: 'auth.uid()',
    owner: 'supabase_auth_admin',
    language: 'sql',
    volatility: 's',
    returns: 'uuid',
    body: `select
      coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid`,
    comment: "Deprecated. Use auth.jwt() -> 'sub' instead.",
  },
  {
    signature: 'auth.role()',
    owner: 'supabase_auth_admin',
    language: 'sql',
    volatility: 's',
    returns: 'text',
    body: `select
      coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text`,
    comment: "Deprecated. Use auth.jwt() -> 'role' instead.",
  },
  {
    signature: 'auth.email()',
    owner: 'supabase_auth_admin',
    language: 'sql',
    volatility: 's',
    returns: 'text',
    body: `select
      coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
      )::text`,
    comment: "Deprecated. Use auth.jwt() -> 'email' instead.",
  },
  {
    signature: 'auth.jwt()',
    owner: 'supabase_auth_admin',
    language: 'sql',
    volatility: 's',
    returns: 'jsonb',
    body: `select
      coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb`,
    comment: null,
  },
  {
    signature: 'realtime.topic()',
    owner: 'supabase_realtime_admin',
    language: 'sql',
    volatility: 's',
    returns: 'text',
    body: `select nullif(current_setting('realtime.topic', true), '')::text;`,
    comment: null,
  },
  {
    signature: 'storage.foldername(text)',
    owner: 'supabase_storage_admin',
    language: 'plpgsql',
    volatility: 'i',
    returns: 'text[]',
    body: `DECLARE
      _parts text[];
    BEGIN
      -- Split on "/" to get path segments
      SELECT string_to_array(name, '/') INTO _parts;
      -- Return everything except the last segment
      RETURN _parts[1 : array_length(_parts,1) - 1];
    END`,
    comment: null,
  },
];

/** Source text without comments, case or whitespace, so only real differences remain. */
function normalise(source: string): string {
  return source
    .replace(/--[^\n]*/g, '')
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/;+$/, '');
}

interface FunctionRow {
  owner: string;
  language: string;
  volatility: string;
  security_definer: boolean;
  config: string[] | null;
  returns: string;
  source: string;
  comment: string | null;
}

async function describeFunction(signature: string): Promise<FunctionRow | undefined> {
  const [row] = await db()<FunctionRow[]>`
    select pg_get_userbyid(p.proowner) as owner, l.lanname as language, p.provolatile as volatility,
           p.prosecdef as security_definer, p.proconfig as config,
           pg_get_function_result(p.oid) as returns, p.prosrc as source,
           obj_description(p.oid, 'pg_proc') as comment
    from pg_proc as p join pg_language as l on l.oid = p.prolang
    where p.oid = ${signature}::regprocedure`;
  return row;
}

// ---------------------------------------------------------------------------

describe('auth, realtime and storage helpers are defined as upstream defines them', () => {
  it.each(UPSTREAM.map((f) => [f.signature, f] as const))('%s has the upstream source text and attributes', async (signature, upstream) => {
    const fn = await describeFunction(signature);
    expect(fn).toBeDefined();
    expect(normalise(fn!.source)).toBe(normalise(upstream.body));
    expect(fn).toMatchObject({
      owner: upstream.owner,
      language: upstream.language,
      volatility: upstream.volatility,
      returns: upstream.returns,
      security_definer: false,
      // Upstream sets no search_path on any of these.
      config: null,
    });
    if (upstream.comment !== null) expect(fn!.comment).toBe(upstream.comment);
  });

  it.each(['auth.uid()', 'auth.role()', 'auth.email()', 'auth.jwt()', 'realtime.topic()'])(
    'the API roles may call %s (through PUBLIC, as on Supabase)',
    async (signature) => {
      const [row] = await db()`
        select has_function_privilege('anon', ${signature}, 'execute') as anon,
               has_function_privilege('authenticated', ${signature}, 'execute') as authenticated,
               has_function_privilege('service_role', ${signature}, 'execute') as service_role`;
      expect(row).toEqual({ anon: true, authenticated: true, service_role: true });
    },
  );
});

// ---------------------------------------------------------------------------

type Gucs = Partial<
  Record<'request.jwt.claim.sub' | 'request.jwt.claim.role' | 'request.jwt.claim.email' | 'request.jwt.claim' | 'request.jwt.claims', string>
>;

interface AuthValues {
  uid: string | null;
  role: string | null;
  email: string | null;
  jwt: unknown;
}

/** auth.uid(), role(), email(), jwt() as `authenticated`, with these GUCs set for the transaction. */
async function authValuesAs(tx: Tx, gucs: Gucs): Promise<AuthValues> {
  for (const [name, value] of Object.entries(gucs)) {
    await tx`select set_config(${name}, ${value}, true)`;
  }
  await tx`select set_config('role', 'authenticated', true)`;
  const [row] = await tx<AuthValues[]>`
    select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() as jwt`;
  await tx`reset role`;
  return row!;
}

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const claimsA = { sub: A, role: 'authenticated', email: 'a@example.com' };

const cases: [string, Gucs, AuthValues][] = [
  [
    'PostgREST today: only request.jwt.claims',
    { 'request.jwt.claims': JSON.stringify(claimsA) },
    { uid: A, role: 'authenticated', email: 'a@example.com', jwt: claimsA },
  ],
  [
    'legacy PostgREST: only the per-claim GUCs',
    { 'request.jwt.claim.sub': B, 'request.jwt.claim.role': 'service_role', 'request.jwt.claim.email': 'b@example.com' },
    { uid: B, role: 'service_role', email: 'b@example.com', jwt: null },
  ],
  [
    'both: the per-claim GUCs win',
    {
      'request.jwt.claim.sub': B,
      'request.jwt.claim.role': 'service_role',
      'request.jwt.claim.email': 'b@example.com',
      'request.jwt.claim': JSON.stringify({ sub: B }),
      'request.jwt.claims': JSON.stringify(claimsA),
    },
    { uid: B, role: 'service_role', email: 'b@example.com', jwt: { sub: B } },
  ],
  [
    'empty per-claim GUCs count as unset',
    {
      'request.jwt.claim.sub': '',
      'request.jwt.claim.role': '',
      'request.jwt.claim.email': '',
      'request.jwt.claim': '',
      'request.jwt.claims': JSON.stringify(claimsA),
    },
    { uid: A, role: 'authenticated', email: 'a@example.com', jwt: claimsA },
  ],
  [
    'empty claims count as no token',
    { 'request.jwt.claims': '' },
    { uid: null, role: null, email: null, jwt: null },
  ],
  ['nothing set', {}, { uid: null, role: null, email: null, jwt: null }],
  [
    'the anon key: a role and no subject',
    { 'request.jwt.claims': JSON.stringify({ role: 'anon', iss: 'supabase-demo' }) },
    { uid: null, role: 'anon', email: null, jwt: { role: 'anon', iss: 'supabase-demo' } },
  ],
];

describe('auth.uid(), role(), email() and jwt() read the request as Supabase Auth defines', () => {
  it.each(cases)('%s', async (_name, gucs, expected) => {
    await rollback(async (tx) => {
      expect(await authValuesAs(tx, gucs)).toEqual(expected);
    });
  });

  it('see the signed-in user when PostgREST sets role and claims', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      const [row] = await asUser(tx, ama, (q) => q`
        select current_user as "user", auth.uid()::text as uid, auth.role() as role,
               auth.jwt() ->> 'phone' as phone, auth.jwt() -> 'user_roles' as roles`);
      expect(row).toEqual({ user: 'authenticated', uid: ama.id, role: 'authenticated', phone: ama.phone, roles: ['customer'] });
    });
  });

  it('see no user for the anon and service keys', async () => {
    await rollback(async (tx) => {
      const [anon] = await asAnon(tx, (q) => q`select current_user as "user", auth.uid() as uid, auth.role() as role`);
      expect(anon).toEqual({ user: 'anon', uid: null, role: 'anon' });
      const [service] = await asService(tx, (q) => q`select current_user as "user", auth.uid() as uid, auth.role() as role`);
      expect(service).toEqual({ user: 'service_role', uid: null, role: 'service_role' });
    });
  });
});

// ---------------------------------------------------------------------------

interface RoleRow {
  superuser: boolean;
  login: boolean;
  inherit: boolean;
  bypassrls: boolean;
  createrole: boolean;
}

describe('roles are those of a Supabase project', () => {
  it.each<[string, RoleRow]>([
    // Demoted: not superuser, but bypasses RLS, so security-definer functions it owns do too.
    ['postgres', { superuser: false, login: true, inherit: true, bypassrls: true, createrole: true }],
    ['anon', { superuser: false, login: false, inherit: true, bypassrls: false, createrole: false }],
    ['authenticated', { superuser: false, login: false, inherit: true, bypassrls: false, createrole: false }],
    ['service_role', { superuser: false, login: false, inherit: true, bypassrls: true, createrole: false }],
    ['authenticator', { superuser: false, login: true, inherit: false, bypassrls: false, createrole: false }],
    ['supabase_auth_admin', { superuser: false, login: true, inherit: false, bypassrls: false, createrole: false }],
    ['supabase_storage_admin', { superuser: false, login: true, inherit: false, bypassrls: false, createrole: true }],
  ])('%s has Supabase attributes', async (role, expected) => {
    const [row] = await db()<RoleRow[]>`
      select rolsuper as superuser, rolcanlogin as login, rolinherit as inherit,
             rolbypassrls as bypassrls, rolcreaterole as createrole
      from pg_roles where rolname = ${role}`;
    expect(row).toEqual(expected);
  });

  it('authenticator can become each API role but holds none of their privileges itself', async () => {
    const [row] = await db()`
      select pg_has_role('authenticator', 'anon', 'member') as anon,
             pg_has_role('authenticator', 'authenticated', 'member') as authenticated,
             pg_has_role('authenticator', 'service_role', 'member') as service_role,
             pg_has_role('authenticator', 'authenticated', 'usage') as inherits,
             has_table_privilege('authenticator', 'public.markets', 'select') as reads_markets`;
    expect(row).toEqual({ anon: true, authenticated: true, service_role: true, inherits: false, reads_markets: false });
  });

  it.each([
    ['anon', 'statement_timeout=3s'],
    ['authenticated', 'statement_timeout=8s'],
  ])('%s runs with %s', async (role, setting) => {
    const [row] = await db()<{ config: string[] }[]>`
      select s.setconfig as config
      from pg_db_role_setting as s join pg_roles as r on r.oid = s.setrole
      where r.rolname = ${role} and s.setdatabase = 0`;
    expect(row?.config).toContain(setting);
  });
});

// ---------------------------------------------------------------------------

const TABLE_PRIVILEGES = ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger'];

describe("objects postgres creates in public get Supabase's default grants, less Soko's function revoke", () => {
  async function asPostgres<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return rollback(async (tx) => {
      await tx`set local role postgres`;
      return fn(tx);
    });
  }

  it.each(['anon', 'authenticated', 'service_role'])('a new table is fully granted to %s (RLS is what protects it)', async (role) => {
    await asPostgres(async (tx) => {
      await tx`create table public.probe_table (id bigint primary key)`;
      const rows = await tx<{ privilege: string; granted: boolean }[]>`
        select p as privilege, has_table_privilege(${role}, 'public.probe_table', p) as granted
        from unnest(${TABLE_PRIVILEGES}::text[]) as p`;
      expect(rows.filter((r) => !r.granted)).toEqual([]);
      const [rls] = await tx`select relrowsecurity from pg_class where oid = 'public.probe_table'::regclass`;
      expect(rls?.relrowsecurity).toBe(false);
    });
  });

  it.each(['anon', 'authenticated', 'service_role'])('a new sequence is fully granted to %s', async (role) => {
    await asPostgres(async (tx) => {
      await tx`create sequence public.probe_seq`;
      const [row] = await tx`
        select has_sequence_privilege(${role}, 'public.probe_seq', 'usage') as usage,
               has_sequence_privilege(${role}, 'public.probe_seq', 'select') as "select",
               has_sequence_privilege(${role}, 'public.probe_seq', 'update') as "update"`;
      expect(row).toEqual({ usage: true, select: true, update: true });
    });
  });

  it('a new function in public runs for service_role only, until granted (Supabase would grant everyone)', async () => {
    await asPostgres(async (tx) => {
      await tx`create function public.probe_fn() returns int language sql as 'select 1'`;
      const privileges = () => tx`
        select has_function_privilege('anon', 'public.probe_fn()', 'execute') as anon,
               has_function_privilege('authenticated', 'public.probe_fn()', 'execute') as authenticated,
               has_function_privilege('service_role', 'public.probe_fn()', 'execute') as service_role,
               exists (select from pg_proc as p, aclexplode(p.proacl) as a
                       where p.oid = 'public.probe_fn()'::regprocedure and a.grantee = 0) as public`;
      expect((await privileges())[0]).toEqual({ anon: false, authenticated: false, service_role: true, public: false });
      await tx`grant execute on function public.probe_fn() to authenticated`;
      expect((await privileges())[0]).toEqual({ anon: false, authenticated: true, service_role: true, public: false });
    });
  });

  it('a new function in private runs for nobody but its owner', async () => {
    await asPostgres(async (tx) => {
      await tx`create function private.probe_fn() returns int language sql as 'select 1'`;
      const [row] = await tx`
        select has_function_privilege('anon', 'private.probe_fn()', 'execute') as anon,
               has_function_privilege('authenticated', 'private.probe_fn()', 'execute') as authenticated,
               has_function_privilege('service_role', 'private.probe_fn()', 'execute') as service_role`;
      expect(row).toEqual({ anon: false, authenticated: false, service_role: false });
    });
  });

  it('an API role calling an ungranted function is refused', async () => {
    await rollback(async (tx) => {
      await tx`set local role postgres`;
      await tx`create function public.probe_fn() returns int language sql as 'select 1'`;
      await tx`reset role`;
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select public.probe_fn()`)).rejects.toMatchObject({ code: '42501' });
      await expect(asAnon(tx, (q) => q`select public.probe_fn()`)).rejects.toMatchObject({ code: '42501' });
      await expect(asService(tx, (q) => q`select public.probe_fn() as one`)).resolves.toEqual([{ one: 1 }]);
    });
  });
});

// ---------------------------------------------------------------------------

describe('auth tables are out of reach of the API roles', () => {
  it.each([
    ['anon', 'auth.users'],
    ['authenticated', 'auth.users'],
    ['anon', 'auth.identities'],
    ['authenticated', 'auth.identities'],
  ])('%s holds no privilege on %s', async (role, table) => {
    const rows = await db()<{ privilege: string }[]>`
      select p as privilege from unnest(${TABLE_PRIVILEGES}::text[]) as p
      where has_table_privilege(${role}, ${table}, p)`;
    expect(rows).toEqual([]);
    const [column] = await db()`
      select has_any_column_privilege(${role}, ${table}, 'select') as "select",
             has_any_column_privilege(${role}, ${table}, 'update') as "update"`;
    expect(column).toEqual({ select: false, update: false });
  });

  it('a signed-in user reading auth.users is refused', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select id from auth.users limit 1`)).rejects.toMatchObject({ code: '42501' });
      await expect(asAnon(tx, (q) => q`select id from auth.users limit 1`)).rejects.toMatchObject({ code: '42501' });
    });
  });
});

// ---------------------------------------------------------------------------

describe('realtime', () => {
  it('realtime.send() inserts a broadcast message with an id in its payload', async () => {
    await rollback(async (tx) => {
      const topic = `probe:${randomUUID()}`;
      await asService(tx, (q) => q`select realtime.send('{"body": "hello"}'::jsonb, 'new_message', ${topic}, true)`);
      const rows = await tx`
        select id::text, extension, event, private, payload, realtime.topic() as current_topic
        from realtime.messages where topic = ${topic}`;
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row).toMatchObject({ extension: 'broadcast', event: 'new_message', private: true });
      expect(row!.payload).toEqual({ body: 'hello', id: row!.id });
      // send() sets realtime.topic for the rest of the transaction, as upstream does.
      expect(row!.current_topic).toBe(topic);
    });
  });

  it('realtime.send() keeps an id the payload already has', async () => {
    await rollback(async (tx) => {
      const topic = `probe:${randomUUID()}`;
      await tx`select realtime.send('{"id": "mine"}'::jsonb, 'e', ${topic}, false)`;
      const [row] = await tx`select payload, private from realtime.messages where topic = ${topic}`;
      expect(row).toEqual({ payload: { id: 'mine' }, private: false });
    });
  });

  it.each([
    ['room:42', 'room:42'],
    ['', null],
  ])('realtime.topic() reads realtime.topic %j', async (value, expected) => {
    await rollback(async (tx) => {
      await tx`select set_config('realtime.topic', ${value}, true)`;
      await tx`select set_config('role', 'authenticated', true)`;
      const [row] = await tx`select realtime.topic() as topic`;
      expect(row?.topic).toBe(expected);
    });
  });

  it('realtime.messages has RLS on and is not readable around it', async () => {
    const [row] = await db()`
      select c.relrowsecurity as rls, pg_get_userbyid(c.relowner) as owner,
             has_table_privilege('authenticated', 'realtime.messages', 'insert') as insert,
             has_table_privilege('authenticated', 'realtime.messages', 'delete') as delete
      from pg_class as c where c.oid = 'realtime.messages'::regclass`;
    expect(row).toEqual({ rls: true, owner: 'supabase_realtime_admin', insert: true, delete: false });
  });

  it('the supabase_realtime publication exists, owned by postgres, publishing every change', async () => {
    const [row] = await db()`
      select pg_get_userbyid(pubowner) as owner, puballtables as all_tables,
             pubinsert and pubupdate and pubdelete and pubtruncate as every_change
      from pg_publication where pubname = 'supabase_realtime'`;
    expect(row).toEqual({ owner: 'postgres', all_tables: false, every_change: true });
  });
});

// ---------------------------------------------------------------------------

describe('storage path helpers', () => {
  it.each([
    ['a/b/c.png', ['a', 'b'], 'c.png', 'png'],
    ['user/avatar.jpeg', ['user'], 'avatar.jpeg', 'jpeg'],
    ['top.pdf', [], 'top.pdf', 'pdf'],
  ])('%s → folders %j, file %s, extension %s', async (name, folders, file, extension) => {
    const [row] = await db()`
      select storage.foldername(${name}) as folders, storage.filename(${name}) as file, storage.extension(${name}) as extension`;
    expect(row).toEqual({ folders, file, extension });
  });
});

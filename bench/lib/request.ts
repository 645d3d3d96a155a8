// Running SQL the way PostgREST runs a request, so that grants, RLS and role
// settings cost in the bench what they cost in production.
//
// PostgREST (src/PostgREST/Query/PreQuery.hs, txVarQuery) connects as `authenticator`
// and runs each request as one transaction, READ ONLY for GET/HEAD:
//   BEGIN ISOLATION LEVEL READ COMMITTED [READ ONLY];
//   select set_config('search_path', …, true),
//          <the role's own settings from pg_db_role_setting, e.g. statement_timeout>,
//          set_config('role', <JWT role>, true),
//          set_config('request.jwt.claims', <claims incl. role>, true),
//          set_config('request.method', …, true), set_config('request.path', …, true),
//          set_config('request.headers', …, true), set_config('request.cookies', …, true);
//   <main query>;
//   COMMIT;
// It no longer sets the legacy request.jwt.claim.* GUCs.
import type postgres from 'postgres';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;
export type Claims = Record<string, unknown> & { role: string };

export interface RequestInfo {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** As PostgREST sees it, without the /rest/v1 prefix: '/profiles', '/rpc/grant_role'. */
  path: string;
  headers?: Record<string, string>;
}

/** `[api] schemas` and `extra_search_path` from supabase/config.toml. */
const SEARCH_PATH = '"public", "public", "extensions"';

/** The anon and service_role API keys carry only a role (and an issuer). */
export const SERVICE_ROLE_CLAIMS: Claims = { role: 'service_role', iss: 'supabase-demo' };
export const ANON_CLAIMS: Claims = { role: 'anon', iss: 'supabase-demo' };

/** Per-role settings PostgREST applies on impersonation (its `configRoleSettings`). */
export type RoleSettings = Map<string, [string, string][]>;

/** Reads every API role's settings once, as PostgREST does when it loads its config. */
export async function loadRoleSettings(sql: Sql, roles = ['anon', 'authenticated', 'service_role']): Promise<RoleSettings> {
  const rows = await sql<{ role: string; config: string[] }[]>`
    select r.rolname as role, s.setconfig as config
    from pg_db_role_setting as s
    join pg_roles as r on r.oid = s.setrole
    where r.rolname = any(${roles}::text[])
      and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
    order by s.setdatabase`;
  const settings: RoleSettings = new Map(roles.map((r) => [r, []]));
  for (const { role, config } of rows) {
    for (const entry of config) {
      const at = entry.indexOf('=');
      settings.get(role)!.push([entry.slice(0, at), entry.slice(at + 1)]);
    }
  }
  return settings;
}

/**
 * The transaction-scoped settings statement, as text with parameters. Built once per
 * role so postgres.js prepares it once, as PostgREST's own statements are prepared.
 */
function preQuery(settings: [string, string][]): string {
  const parts = [`set_config('search_path', $1, true)`];
  let n = 1;
  for (let i = 0; i < settings.length; i++) parts.push(`set_config($${++n}, $${++n}, true)`);
  parts.push(
    `set_config('role', $${++n}, true)`,
    `set_config('request.jwt.claims', $${++n}, true)`,
    `set_config('request.method', $${++n}, true)`,
    `set_config('request.path', $${++n}, true)`,
    `set_config('request.headers', $${++n}, true)`,
    `set_config('request.cookies', $${++n}, true)`,
  );
  return `select ${parts.join(', ')}`;
}

export class PostgrestRunner {
  private readonly statements = new Map<string, string>();

  /**
   * @param sql a connection as `authenticator` (or, failing that, any role that may SET
   *   ROLE to the API roles): the pool PostgREST would hold.
   */
  constructor(
    readonly sql: Sql,
    private readonly roleSettings: RoleSettings,
  ) {}

  static async create(sql: Sql): Promise<PostgrestRunner> {
    return new PostgrestRunner(sql, await loadRoleSettings(sql));
  }

  /** Runs `fn` as one PostgREST request by the holder of `claims`. */
  async request<T>(claims: Claims, request: RequestInfo, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const role = claims.role;
    const settings = this.roleSettings.get(role) ?? [];
    let statement = this.statements.get(role);
    if (!statement) {
      statement = preQuery(settings);
      this.statements.set(role, statement);
    }
    const params = [
      SEARCH_PATH,
      ...settings.flat(),
      role,
      JSON.stringify(claims),
      request.method,
      request.path,
      JSON.stringify({ accept: 'application/json', ...request.headers }),
      '{}',
    ];
    const readOnly = request.method === 'GET' || request.method === 'HEAD';
    const mode = readOnly ? 'isolation level read committed read only' : 'isolation level read committed';
    return (await this.sql.begin(mode, async (tx) => {
      await tx.unsafe(statement, params, { prepare: true });
      return fn(tx);
    })) as T;
  }

  /** A signed-in user's request; `claims` as the custom access token hook left them. */
  asUser<T>(claims: Claims, request: RequestInfo, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.request({ ...claims, role: 'authenticated' }, request, fn);
  }

  /** A request with the service_role key (edge functions, admin tools): RLS bypassed. */
  asServiceRole<T>(request: RequestInfo, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.request(SERVICE_ROLE_CLAIMS, request, fn);
  }

  /** A request with only the anon key. */
  asAnon<T>(request: RequestInfo, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.request(ANON_CLAIMS, request, fn);
  }
}
